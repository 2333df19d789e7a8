// Several IdP instances share the sandbox's sessions: racing writers must never produce two verdicts or two open sessions.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gu1Settings } from '../../src/sandbox/gu1/settings.ts';
import { gu1Sessions, type Gu1Sessions } from '../../src/sandbox/gu1/sessions.ts';
import { testEngines } from '../support/db.ts';
import { onFreshDatabase } from './_harness.ts';

const RACERS = 10;

for (const engine of testEngines()) {
  describe(`Gu1 sandbox sessions under concurrency (${engine.name})`, () => {
    // Two independent service objects on one database stand for two instances.
    let instances: Gu1Sessions[];

    onFreshDatabase(engine, async (db) => {
      const options = {
        db,
        publicUrl: 'http://sandbox.test/sandbox/gu1',
        organizationId: 'org-1',
        webhookSecret: 'whsec',
        ttlSeconds: 600,
        settings: gu1Settings(db.knex, { refusal: null, entities: {}, organizationWebhookUrl: null }),
        fetch: globalThis.fetch,
        log: { warn: () => undefined },
      };
      instances = [gu1Sessions(options), gu1Sessions(options)];
    });

    const on = (i: number) => instances[i % instances.length]!;

    it('racing creates for one entity open exactly one session and name it to the others', async () => {
      const entityId = randomUUID();
      const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => on(i).create({ entityId, language: 'en' })));
      const opened = results.flatMap((r) => ('session' in r ? [r.session.id] : []));
      expect(opened).toHaveLength(1);
      const named = results.flatMap((r) => ('activeSessionId' in r ? [r.activeSessionId] : []));
      expect(named).toEqual(Array.from({ length: RACERS - 1 }, () => opened[0]));
    });

    it('racing completions of one session settle it exactly once', async () => {
      const created = await on(0).create({ entityId: randomUUID(), language: 'en' });
      if (!('session' in created)) throw new Error('expected a new session');
      const id = created.session.id;
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => on(i).settle(id, { outcome: i % 2 ? 'approve' : 'reject', liveness: 0.97, match: 0.93 })),
      );
      const winners = results.flatMap((r) => ('session' in r ? [r.session.status] : []));
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => 'error' in r && r.error === 'not_open')).toHaveLength(RACERS - 1);
      expect((await on(1).load(id))?.status).toBe(winners[0]);
    });
  });
}
