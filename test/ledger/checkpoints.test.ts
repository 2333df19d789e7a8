import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { chainHash } from '../../src/ledger/chain.ts';
import { createCheckpoint } from '../../src/ledger/checkpoint-signer.ts';
import { CHECKPOINT_TYP } from '../../src/ledger/checkpoints.ts';
import { appendEvent, verifyChain } from '../../src/ledger/ledger.ts';
import { ledgerPublicKeys, loadLedgerKey, type LedgerKey } from '../../src/ledger/ledger-key.ts';
import { freshDatabase, rolledBack, testEngines } from '../support/db.ts';
import { testKek } from '../support/kek.ts';
import { offCatalogue } from '../support/ledger-events.ts';

// Property: a signed checkpoint pins the chain head, so forging a checkpoint, rewriting and re-hashing
// history under it, or cutting rows off the end is detected and named by seq.

const dir = mkdtempSync(path.join(tmpdir(), 'stepup-ledger-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const engine of testEngines()) {
  describe(`ledger checkpoints on ${engine.name}`, () => {
    let db: Database;

    beforeAll(async () => {
      db = await freshDatabase(engine.target());
    });
    afterAll(() => db?.close());

    async function append(trx: Knex.Transaction, count: number): Promise<void> {
      for (let i = 0; i < count; i++) await appendEvent(trx, offCatalogue({ type: 'test.event', clientId: 'alice', data: { n: i } }));
    }

    async function behindTheTriggers(trx: Knex.Transaction, table: string, ...statements: string[]): Promise<void> {
      await trx.raw(`alter table ${table} disable trigger ${table}_no_update`);
      for (const sql of statements) await trx.raw(sql);
      await trx.raw(`alter table ${table} enable trigger ${table}_no_update`);
    }

    // A checkpoint row signed by an outsider, in the ledger's format.
    async function forgedCheckpoint(trx: Knex.Transaction, seq: number, kid?: string): Promise<void> {
      const head = await trx('ledger_events').where({ seq }).first('hash');
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const foreignKid = kid ?? (await calculateJwkThumbprint(await exportJWK(privateKey)));
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify({ seq, hash: head.hash, iat: 0 })))
        .setProtectedHeader({ alg: 'ES256', kid: foreignKid, typ: CHECKPOINT_TYP })
        .sign(privateKey);
      await trx('ledger_checkpoints').insert({ seq, hash: head.hash, kid: foreignKid, jws });
    }

    let key: LedgerKey;
    beforeAll(async () => {
      key = await loadLedgerKey(db.knex, { kek: testKek });
    });

    it('generates one ledger key, kept in the database, whoever asks first', async () => {
      const again = await Promise.all([loadLedgerKey(db.knex, { kek: testKek }), loadLedgerKey(db.knex, { kek: testKek })]);
      expect(again.map((k) => k.kid)).toEqual([key.kid, key.kid]);
      expect(await ledgerPublicKeys(db.knex)).toEqual([key.publicJwk]);
      expect(key.publicJwk).not.toHaveProperty('d');
    });

    it('signs the verified head, once per head', async () => {
      await rolledBack(db, async (trx) => {
        expect(await createCheckpoint(trx, key), 'an empty ledger has nothing to sign').toBeUndefined();
        await append(trx, 3);
        const first = await createCheckpoint(trx, key);
        const head = await trx('ledger_events').where({ seq: 3 }).first('hash');
        expect(first).toMatchObject({ seq: 3, hash: head.hash, kid: key.kid });
        expect(await createCheckpoint(trx, key), 'nothing new since').toBeUndefined();
        await append(trx, 2);
        expect(await createCheckpoint(trx, key)).toMatchObject({ seq: 5 });
        expect(await verifyChain(trx)).toMatchObject({ ok: true, checked: 5, checkpoints: 2 });
        expect(await verifyChain(trx, { from: 4 })).toMatchObject({ ok: true, checked: 2, checkpoints: 1 });
      });
    });

    it('names a checkpoint signed by a key that is not a ledger key', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 4);
        await forgedCheckpoint(trx, 2);
        expect(await verifyChain(trx)).toMatchObject({ ok: false, seq: 2, problem: 'bad_signature', checked: 2 });
      });
    });

    it("names a checkpoint forged under the ledger key's kid", async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 4);
        await forgedCheckpoint(trx, 3, key.kid);
        expect(await verifyChain(trx)).toMatchObject({
          ok: false,
          seq: 3,
          problem: 'bad_signature',
          message: 'checkpoint 3: the signature does not verify',
        });
      });
    });

    it('names a genuine checkpoint whose stored hash or payload was edited', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 4);
        const checkpoint = (await createCheckpoint(trx, key))!;
        await behindTheTriggers(trx, 'ledger_checkpoints', `update ledger_checkpoints set hash = '${'a'.repeat(64)}' where seq = 4`);
        expect(await verifyChain(trx)).toMatchObject({ ok: false, seq: 4, problem: 'bad_signature' });
        const [header, , signature] = checkpoint.jws.split('.');
        const payload = Buffer.from(JSON.stringify({ seq: 4, hash: 'a'.repeat(64), iat: 0 })).toString('base64url');
        await behindTheTriggers(
          trx,
          'ledger_checkpoints',
          `update ledger_checkpoints set jws = '${header}.${payload}.${signature}' where seq = 4`,
        );
        expect(await verifyChain(trx)).toMatchObject({
          ok: false,
          seq: 4,
          problem: 'bad_signature',
          message: 'checkpoint 4: the signature does not verify',
        });
      });
    });

    it('detects history rewritten and re-hashed under a checkpoint', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 6);
        await createCheckpoint(trx, key);
        // The forger keeps the chain self-consistent: row 3 edited, rows 3–6 re-hashed and relinked.
        const rows = await trx('ledger_events').where('seq', '>=', 3).orderBy('seq').select('seq', 'body', 'prev_hash');
        let prev = rows[0].prev_hash as string;
        const statements: string[] = [];
        for (const row of rows) {
          const body = row.seq === 3 ? (row.body as string).replace('"alice"', '"mallory"') : (row.body as string);
          const hash = chainHash(prev, body);
          statements.push(`update ledger_events set body = '${body}', prev_hash = '${prev}', hash = '${hash}' where seq = ${row.seq}`);
          prev = hash;
        }
        await behindTheTriggers(trx, 'ledger_events', ...statements);
        expect(await verifyChain(trx, { to: 5 }), 'the rows alone look intact').toMatchObject({ ok: true, checked: 5 });
        expect(await verifyChain(trx)).toMatchObject({ ok: false, seq: 6, problem: 'checkpoint_mismatch', checked: 6 });
      });
    });

    it('detects rows cut off the end of the ledger after a checkpoint', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 6);
        await createCheckpoint(trx, key);
        await behindTheTriggers(trx, 'ledger_events', 'delete from ledger_events where seq >= 5');
        expect(await verifyChain(trx)).toMatchObject({ ok: false, seq: 5, problem: 'missing', checked: 4 });
      });
    });

    it('refuses to sign a chain that does not verify', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 3);
        await behindTheTriggers(
          trx,
          'ledger_events',
          `update ledger_events set body = replace(body, '"alice"', '"mallory"') where seq = 2`,
        );
        await expect(createCheckpoint(trx, key)).rejects.toMatchObject({ code: 'ledger_invalid', details: { seq: 2, problem: 'altered' } });
        expect(await trx('ledger_checkpoints').count({ n: '*' }).first()).toEqual({ n: 0 });
      });
    });

    it('checks checkpoints against pinned keys instead of the database', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 2);
        await createCheckpoint(trx, key);
        expect(await verifyChain(trx, { keys: [key.publicJwk] })).toMatchObject({ ok: true, checkpoints: 1 });
        const { publicKey } = await generateKeyPair('ES256', { extractable: true });
        const stranger = { ...(await exportJWK(publicKey)), kid: key.kid };
        expect(await verifyChain(trx, { keys: [stranger] })).toMatchObject({ ok: false, seq: 2, problem: 'bad_signature' });
      });
    });

    it('uses a key given by reference and records only its public half', async () => {
      await rolledBack(db, async (trx) => {
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        const file = path.join(dir, `${engine.name}.jwk.json`);
        writeFileSync(file, JSON.stringify(await exportJWK(privateKey)));
        const external = await loadLedgerKey(trx, { file });
        const row = await trx('ledger_keys').where({ kid: external.kid }).first();
        expect(row.private_jwk).toBeNull();
        expect(row.public_jwk).toEqual(external.publicJwk);
        await append(trx, 2);
        await createCheckpoint(trx, external);
        expect(await verifyChain(trx)).toMatchObject({ ok: true, checkpoints: 1 });
        writeFileSync(file, JSON.stringify({ kty: 'RSA' }));
        await expect(loadLedgerKey(trx, { file })).rejects.toMatchObject({ code: 'config_invalid' });
      });
    });

    it('keeps ledger keys and checkpoints append-only', async () => {
      await rolledBack(db, async (trx) => {
        await append(trx, 1);
        await createCheckpoint(trx, key);
        for (const sql of ['delete from ledger_checkpoints', 'update ledger_keys set private_jwk = null', 'truncate ledger_keys']) {
          await expect(trx.transaction((inner) => inner.raw(sql))).rejects.toThrow(/is append-only: (DELETE|UPDATE|TRUNCATE) refused/);
        }
      });
    });
  });
}
