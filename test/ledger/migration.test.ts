import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { up as foundation } from '../../migrations/20261121000001_foundation.ts';
import { up as ledgerForAuditors } from '../../migrations/20261122000001_ledger_checkpoints.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { canonicalJson } from '../../src/ledger/canonical.ts';
import { GENESIS_HASH, verifyChain } from '../../src/ledger/ledger.ts';
import { testEngines } from '../support/db.ts';

for (const engine of testEngines()) {
  describe(`ledger migration on ${engine.name}`, () => {
    it('keeps the hashes of events written before the ledger stored its canonical bodies', async () => {
      const db = await openDatabase(engine.target());
      const trx = await db.knex.transaction();
      try {
        await foundation(trx);
        // Rows as the first ledger wrote them: columns only, hashed over the canonical JSON of those columns.
        let prev = GENESIS_HASH;
        for (let seq = 1; seq <= 3; seq++) {
          const row = { seq, at: new Date(Date.UTC(2026, 10, 21, 10, 0, seq, 123)), type: 'verification.started', verification_id: `v${seq}`, account_id: 'alice', client_id: 'rp', acr: 'urn:stepup:acr:face', vendor: 'gu1', data: { thresholds: { match: 0.85 }, n: seq } };
          const body = canonicalJson({ seq, at: row.at.toISOString(), type: row.type, verificationId: row.verification_id, accountId: row.account_id, clientId: row.client_id, acr: row.acr, vendor: row.vendor, data: row.data });
          const hash = createHash('sha256').update(`${prev}\n${body}`).digest('hex');
          await trx('ledger_events').insert({ ...row, data: JSON.stringify(row.data), prev_hash: prev, hash });
          prev = hash;
        }
        await ledgerForAuditors(trx);
        expect(await verifyChain(trx)).toEqual({ ok: true, checked: 3, headSeq: 3, headHash: prev, checkpoints: 0 });
        const migrated = await trx('ledger_events').where({ seq: 2 }).first();
        expect(migrated).toMatchObject({ type: 'verification.started', verification_id: 'v2', account_id: 'alice', data: { thresholds: { match: 0.85 }, n: 2 } });
        expect(migrated.at.toISOString()).toBe('2026-11-21T10:00:02.123Z');
      } finally {
        await trx.rollback();
        if (db.engine === 'postgres') await db.knex.raw('drop schema if exists ?? cascade', [db.schema]);
        await db.close();
      }
    });
  });
}
