import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { COMMITMENT_PREFIX } from '../../src/ledger/commitments.ts';
import { eraseAccount } from '../../src/ledger/erasure.ts';
import { appendEvent, chainStaged, stageEvent, verifyChain, type LedgerEvent } from '../../src/ledger/ledger.ts';
import { countEvents, queryEvents } from '../../src/ledger/query.ts';
import { freshDatabase, testEngines } from '../support/db.ts';

const started = (accountId: string, verificationId: string, subject: string) =>
  ({
    type: 'verification.started',
    verificationId,
    accountId,
    clientId: 'payments-app',
    acr: 'urn:stepup:acr:face',
    vendor: 'gu1',
    data: {
      interactionUid: `i-${verificationId}`,
      vendorType: 'gu1',
      expectedSubject: subject,
      thresholds: { liveness: 0.9 },
      policyHash: 'p'.repeat(64),
      expiresAt: '2026-12-01T00:10:00.000Z',
    },
  }) as const;

for (const engine of testEngines()) {
  describe(`erasure on ${engine.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(() => db?.close());

    const byAccount = async (account: string) => (await queryEvents(db.knex, { account }, { limit: 1000 })).events;

    // Privacy: after erasure nothing in the ledger or its queries links the account's rows to it, and the chain still verifies.
    it('unlinks an account from its rows while the chain still verifies, and gives it a new key afterwards', async () => {
      const before: LedgerEvent[] = [];
      for (let i = 0; i < 3; i++) {
        before.push(await appendEvent(db.knex, started('xavier', `x${i}`, 'entity-xavier')));
        await appendEvent(db.knex, started('yolanda', `y${i}`, 'entity-yolanda'));
      }
      // In a caller's transaction too (the serialised path).
      before.push(await db.knex.transaction((trx) => appendEvent(trx, started('xavier', 'x3', 'entity-xavier'))));
      // And staged with a state change, chained after its commit (the path every verification event takes).
      const outboxId = await db.knex.transaction((trx) => stageEvent(trx, started('xavier', 'x3-staged', 'entity-xavier')));
      before.push((await chainStaged(db.knex)).get(outboxId)!);

      const stored = await db.knex('ledger_events').select('body', 'account_id');
      expect(stored.map((r: { body: string }) => r.body).join('\n')).not.toMatch(/xavier|yolanda/);
      const commitment = before[0]!.accountId!;
      expect(commitment.startsWith(COMMITMENT_PREFIX)).toBe(true);
      expect(new Set(before.map((e) => e.accountId))).toEqual(new Set([commitment]));
      // One key commits the account and its vendor subject, so a subject check can still be replayed.
      expect(new Set(before.map((e) => e.data.expectedSubject))).toHaveLength(1);
      expect(before[0]!.data.expectedSubject).not.toBe(commitment);
      expect((await byAccount('xavier')).map((e) => e.seq)).toEqual(before.map((e) => e.seq));

      const erasure = await eraseAccount(db.knex, 'xavier');
      expect(erasure.event).toMatchObject({ type: 'account.erased', accountId: null, data: { commitment } });
      expect(JSON.stringify(erasure.event)).not.toContain('xavier');
      expect(erasure.plainRows).toBe(0);
      expect(await db.knex('ledger_account_keys').where({ account_id: 'xavier' })).toEqual([]);

      expect(await byAccount('xavier')).toEqual([]);
      expect(await countEvents(db.knex, { account: 'xavier' })).toBe(0);
      expect(await byAccount('yolanda')).toHaveLength(3);
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true, checked: 9 });

      const later = await appendEvent(db.knex, started('xavier', 'x4', 'entity-xavier'));
      expect(later.accountId).not.toBe(commitment);
      expect(later.data.expectedSubject).not.toBe(before[0]!.data.expectedSubject);
      expect((await byAccount('xavier')).map((e) => e.seq)).toEqual([later.seq]);
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true, checked: 10 });

      expect((await eraseAccount(db.knex, 'nobody')).event).toBeUndefined();
    });

    it('still finds rows written with plain account ids before commitments, and says erasure cannot reach them', async () => {
      // A row as an older version wrote it: the trigger derives account_id from the body, as it always did.
      const { chainHash, encodeBody } = await import('../../src/ledger/chain.ts');
      const head = (await db.knex('ledger_events').orderBy('seq', 'desc').first('seq', 'hash')) as { seq: number; hash: string };
      const body = encodeBody({
        seq: Number(head.seq) + 1,
        at: new Date('2026-11-01T00:00:00Z'),
        type: 'verification.started',
        verificationId: 'legacy',
        accountId: 'zelda',
        clientId: null,
        acr: null,
        vendor: null,
        data: {},
      });
      await db.knex('ledger_events').insert({ seq: Number(head.seq) + 1, body, prev_hash: head.hash, hash: chainHash(head.hash, body) });
      const fresh = await appendEvent(db.knex, started('zelda', 'z1', 'entity-zelda'));

      expect((await byAccount('zelda')).map((e) => e.verificationId)).toEqual(['legacy', 'z1']);
      const erasure = await eraseAccount(db.knex, 'zelda');
      expect(erasure.plainRows).toBe(1);
      expect((await byAccount('zelda')).map((e) => e.verificationId)).toEqual(['legacy']);
      expect(fresh.accountId).not.toBe('zelda');
      expect(await verifyChain(db.knex)).toMatchObject({ ok: true });
    });

    it('gives one account one key when two connections create it at once', async () => {
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, i) => db.knex.transaction((trx) => appendEvent(trx, started('wanda', `w${i}`, 'entity-wanda')))),
      );
      expect(new Set(appended.map((e) => e.accountId)).size).toBe(1);
      expect(await db.knex('ledger_account_keys').where({ account_id: 'wanda' })).toHaveLength(1);
    });
  });
}
