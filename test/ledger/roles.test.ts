import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { createCheckpoint } from '../../src/ledger/checkpoint-signer.ts';
import { appendEvent, verifyChain } from '../../src/ledger/ledger.ts';
import { loadLedgerKey } from '../../src/ledger/ledger-key.ts';
import { freshDatabase, testEngines } from '../support/db.ts';
import { testKek } from '../support/kek.ts';
import { offCatalogue } from '../support/ledger-events.ts';

// Property: with the README's role setup the IdP's database role can append events and sign checkpoints
// but can never update, delete or truncate ledger rows, even with the append-only triggers disabled.

const postgres = testEngines().find((e) => e.name === 'postgres');

describe.skipIf(!postgres)('the documented INSERT-only database role', () => {
  let db: Database;
  const role = `stepup_idp_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await freshDatabase(postgres!.target());
    // The README's statements, for this test's schema instead of public.
    for (const sql of [
      `create role ${role} nologin`,
      `grant usage on schema ${db.schema} to ${role}`,
      `grant select, insert, update, delete on all tables in schema ${db.schema} to ${role}`,
      `grant usage on all sequences in schema ${db.schema} to ${role}`,
      `revoke update, delete, truncate on ledger_events, ledger_checkpoints, ledger_keys from ${role}`,
    ]) {
      await db.knex.raw(sql);
    }
  });
  afterAll(async () => {
    if (!db) return;
    // The role holds grants on the schema's tables: they go with the schema, then the role can go.
    await db.knex.raw('drop schema if exists ?? cascade', [db.schema]);
    await db.knex.raw(`drop role if exists ${role}`);
    await db.close();
  });

  async function asIdp(work: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
    const trx = await db.knex.transaction();
    try {
      await trx.raw(`set local role ${role}`);
      await work(trx);
    } finally {
      await trx.rollback();
    }
  }

  it('appends and signs checkpoints', async () => {
    await asIdp(async (trx) => {
      // With an account: the role creates its commitment key too.
      for (let i = 0; i < 3; i++) await appendEvent(trx, offCatalogue({ type: 'test.event', accountId: 'alice', data: { i } }));
      expect(await createCheckpoint(trx, await loadLedgerKey(trx, { kek: testKek }))).toMatchObject({ seq: 3 });
      expect(await verifyChain(trx)).toMatchObject({ ok: true, checked: 3, checkpoints: 1 });
    });
  });

  it.each([
    ['UPDATE', 'update ledger_events set body = body'],
    ['DELETE', 'delete from ledger_events'],
    ['TRUNCATE', 'truncate ledger_events'],
    ['UPDATE of a checkpoint', 'update ledger_checkpoints set hash = hash'],
    ['DELETE of a ledger key', 'delete from ledger_keys'],
    ['disabling the triggers', 'alter table ledger_events disable trigger ledger_events_no_update'],
  ])('cannot run %s', async (_, sql) => {
    await asIdp(async (trx) => {
      await appendEvent(trx, offCatalogue({ type: 'test.event', data: {} }));
      await expect(trx.transaction((inner) => inner.raw(sql))).rejects.toThrow(/permission denied|must be owner/);
    });
  });
});
