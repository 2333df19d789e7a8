import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { verifyChain } from '../../src/ledger/ledger.ts';
import { attachVendorSession, createVerification, transition } from '../../src/verification/repository.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { newVerification } from '../support/verifications.ts';

// Property: a state change written in one statement from the verification as the caller saw it records
// exactly what the row became and what it replaced; when the row moved on since, the change is decided
// on the row as stored, never on the stale copy.

const input = () => newVerification();

for (const engine of testEngines()) {
  describe(`state changes from a seen verification on ${engine.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(async () => {
      if (db) expect(await verifyChain(db.knex)).toMatchObject({ ok: true });
      await db?.close();
    });

    const eventsOf = async (id: string) =>
      (await db.knex('ledger_events').where({ verification_id: id }).orderBy('seq').pluck('body')).map(
        (body: string) => JSON.parse(body) as { type: string; data: Record<string, unknown> },
      );

    it('records what the row became, as the locking path does', async () => {
      const created = await createVerification(db.knex, input(), new Date());
      const seen = await attachVendorSession(
        db.knex,
        created.id,
        { vendorSessionId: 's-1', presentation: { kind: 'redirect', url: 'https://v.example/s-1' } },
        new Date(),
      );
      const { changed, verification } = await transition(
        db.knex,
        seen.id,
        'approved',
        new Date(),
        { vendorStatus: 'approved', liveness: 0.97, match: 0.93 },
        {},
        seen,
      );
      expect(changed).toBe(true);
      expect(verification).toMatchObject({
        state: 'approved',
        vendorSessionId: 's-1',
        vendorStatus: 'approved',
        liveness: 0.97,
        match: 0.93,
      });
      expect((await eventsOf(seen.id))[1]).toMatchObject({
        type: 'verification.approved',
        data: {
          from: 'pending',
          to: 'approved',
          vendorSessionId: 's-1',
          vendorStatus: 'approved',
          scores: { liveness: 0.97, match: 0.93 },
          reason: null,
        },
      });
    });

    it('decides on the stored row when a fact changed since it was seen', async () => {
      const seen = await createVerification(db.knex, input(), new Date());
      // Same state, but the vendor session was attached after the caller read the row.
      await attachVendorSession(
        db.knex,
        seen.id,
        { vendorSessionId: 's-2', presentation: { kind: 'redirect', url: 'https://v.example/s-2' } },
        new Date(),
      );
      await transition(db.knex, seen.id, 'rejected', new Date(), { vendorStatus: 'rejected', reason: 'FACE_MATCH_SCORE_LOW' }, {}, seen);
      expect((await eventsOf(seen.id))[1]).toMatchObject({
        type: 'verification.rejected',
        data: { from: 'pending', vendorSessionId: 's-2' },
      });
    });

    it('decides on the stored row when the state moved on since it was seen', async () => {
      const seen = await createVerification(db.knex, input(), new Date());
      // Only the state moved: every fact the event records is as seen.
      await transition(db.knex, seen.id, 'in_progress', new Date());
      const { changed } = await transition(db.knex, seen.id, 'approved', new Date(), { liveness: 0.95, match: 0.9 }, {}, seen);
      expect(changed).toBe(true);
      expect((await eventsOf(seen.id)).map((e) => [e.type, e.data.from, e.data.vendorStatus])).toEqual([
        ['verification.started', undefined, undefined],
        ['verification.in_progress', 'pending', null],
        ['verification.approved', 'in_progress', null],
      ]);
      // A terminal verification seen as pending is not changed again.
      expect((await transition(db.knex, seen.id, 'rejected', new Date(), { reason: 'late' }, {}, seen)).changed).toBe(false);
      expect(await eventsOf(seen.id)).toHaveLength(3);
    });

    it('applies one of several concurrent changes from the same seen verification, and records one event', async () => {
      const seen = await createVerification(db.knex, input(), new Date());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          transition(db.knex, seen.id, i % 2 ? 'approved' : 'rejected', new Date(), { vendorStatus: `v${i}` }, {}, seen),
        ),
      );
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      expect(await eventsOf(seen.id)).toHaveLength(2);
    });
  });
}
