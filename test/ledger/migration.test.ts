import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { up as foundation } from '../../migrations/20261121000001_foundation.ts';
import { up as ledgerForAuditors } from '../../migrations/20261122000001_ledger_checkpoints.ts';
import { up as webhookHint } from '../../migrations/20261122000002_verification_webhook_hint.ts';
import { up as columnsFromTrigger } from '../../migrations/20261122000003_ledger_columns_from_trigger.ts';
import { up as sealedKeys } from '../../migrations/20261203000021_sealed_keys.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { canonicalJson } from '../../src/ledger/canonical.ts';
import { GENESIS_HASH, verifyChain } from '../../src/ledger/ledger.ts';
import { loadLedgerKey } from '../../src/ledger/ledger-key.ts';
import { testEngines } from '../support/db.ts';
import { testKek } from '../support/kek.ts';

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
          const row = {
            seq,
            at: new Date(Date.UTC(2026, 10, 21, 10, 0, seq, 123)),
            type: 'verification.started',
            verification_id: `v${seq}`,
            account_id: 'alice',
            client_id: 'rp',
            acr: 'urn:stepup:acr:face',
            vendor: 'gu1',
            data: { thresholds: { match: 0.85 }, n: seq },
          };
          const body = canonicalJson({
            seq,
            at: row.at.toISOString(),
            type: row.type,
            verificationId: row.verification_id,
            accountId: row.account_id,
            clientId: row.client_id,
            acr: row.acr,
            vendor: row.vendor,
            data: row.data,
          });
          const hash = createHash('sha256').update(`${prev}\n${body}`).digest('hex');
          await trx('ledger_events').insert({ ...row, data: JSON.stringify(row.data), prev_hash: prev, hash });
          prev = hash;
        }
        await ledgerForAuditors(trx);
        expect(await verifyChain(trx)).toEqual({ ok: true, checked: 3, headSeq: 3, headHash: prev, checkpoints: 0 });
        const migrated = await trx('ledger_events').where({ seq: 2 }).first();
        expect(migrated).toMatchObject({
          type: 'verification.started',
          verification_id: 'v2',
          account_id: 'alice',
          data: { thresholds: { match: 0.85 }, n: 2 },
        });
        expect(migrated.at.toISOString()).toBe('2026-11-21T10:00:02.123Z');
      } finally {
        await trx.rollback();
        if (db.engine === 'postgres') await db.knex.raw('drop schema if exists ?? cascade', [db.schema]);
        await db.close();
      }
    });

    it('moves the checkpoint key kept in the clear out of the append-only table, to be sealed on the next start', async () => {
      const db = await openDatabase(engine.target());
      const trx = await db.knex.transaction();
      try {
        for (const up of [foundation, ledgerForAuditors, webhookHint, columnsFromTrigger]) await up(trx);
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        const jwk = await exportJWK(privateKey);
        const kid = await calculateJwkThumbprint(jwk);
        const { d: _, ...publicJwk } = jwk;
        await trx('ledger_keys').insert({
          kid,
          alg: 'ES256',
          public_jwk: JSON.stringify({ ...publicJwk, kid }),
          private_jwk: JSON.stringify({ ...jwk, kid, alg: 'ES256', use: 'sig' }),
        });
        await sealedKeys(trx);
        expect(await trx('ledger_keys').where({ kid }).first('private_jwk')).toEqual({ private_jwk: null });
        expect((await loadLedgerKey(trx, { kek: testKek })).kid).toBe(kid);
        const secret = (await trx('ledger_key_secrets').where({ kid }).first()) as { private_jwk: unknown; sealed: string };
        expect(secret.private_jwk).toBeNull();
        expect(secret.sealed.split('.')).toHaveLength(5);
      } finally {
        await trx.rollback();
        if (db.engine === 'postgres') await db.knex.raw('drop schema if exists ?? cascade', [db.schema]);
        await db.close();
      }
    });
  });
}
