import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { sweepExpired } from '../../src/server/housekeeping.ts';
import { freshDatabase, testEngines } from '../support/db.ts';

for (const engine of testEngines()) {
  describe(`expired state is swept (${engine.name})`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(async () => {
      await db?.close();
    });

    it('removes what has expired and keeps the rest', async () => {
      const past = new Date(Date.now() - 60_000);
      const future = new Date(Date.now() + 60_000);
      await db.knex('oidc_payloads').insert([
        { model: 'Session', id: 'old', payload: '{}', expires_at: past },
        { model: 'Session', id: 'live', payload: '{}', expires_at: future },
      ]);
      await db.knex('session_levels').insert([
        { session_uid: 'old', acr: 'a', account_id: 'x', authenticated_at: past, expires_at: past },
        { session_uid: 'live', acr: 'a', account_id: 'x', authenticated_at: past, expires_at: future },
      ]);
      await db.knex('interaction_steps').insert([
        { uid: 'old', account_id: 'x', amr: '["pwd"]', authenticated_at: past, expires_at: past },
        { uid: 'live', account_id: 'x', amr: '["pwd"]', authenticated_at: past, expires_at: future },
      ]);
      await db.knex('interaction_policies').insert([
        { uid: 'old', policy_hash: 'h', expires_at: past },
        { uid: 'live', policy_hash: 'h', expires_at: future },
      ]);
      await db.knex('webhook_receipts').insert([
        { vendor: 'passbase', event_id: 'old', expires_at: past },
        { vendor: 'passbase', event_id: 'live', expires_at: future },
      ]);
      expect(await sweepExpired(db)).toEqual({ payloads: 1, levels: 1, steps: 1, pins: 1, receipts: 1 });
      expect(await db.knex('oidc_payloads').pluck('id')).toEqual(['live']);
      expect(await db.knex('session_levels').pluck('session_uid')).toEqual(['live']);
      expect(await db.knex('interaction_steps').pluck('uid')).toEqual(['live']);
      expect(await db.knex('interaction_policies').pluck('uid')).toEqual(['live']);
      expect(await db.knex('webhook_receipts').pluck('event_id')).toEqual(['live']);
      expect(await sweepExpired(db)).toEqual({ payloads: 0, levels: 0, steps: 0, pins: 0, receipts: 0 });
    });
  });
}
