import type { Knex } from 'knex';
import { canonicalJson } from '../src/ledger/canonical.ts';

/**
 * The ledger for auditors:
 * - `ledger_events` keeps the exact canonical bytes it hashed (`body`); every column queries filter on is
 *   generated from `body` by the database, so a query can never see a value the chain does not cover, and
 *   verification hashes stored text instead of re-deriving it.
 * - `ledger_keys` (the ES256 keys that sign checkpoints) and `ledger_checkpoints` (signed chain heads).
 * All three refuse UPDATE, DELETE and TRUNCATE.
 */
export async function up(knex: Knex): Promise<void> {
  // Immutable in fact: `at` is always ISO 8601 with `Z`, which parses the same whatever the session's
  // TimeZone or DateStyle; PostgreSQL requires the promise for a generated column.
  await knex.raw(`
    create function ledger_body_at(body text) returns timestamptz language sql immutable parallel safe
      as $$ select (body::jsonb ->> 'at')::timestamptz $$
  `);
  await knex.raw(`
    create table ledger_events_v2 (
      seq bigint primary key,
      body text not null,
      prev_hash text not null,
      hash text not null,
      at timestamptz generated always as (ledger_body_at(body)) stored,
      type text generated always as (body::jsonb ->> 'type') stored,
      verification_id text generated always as (body::jsonb ->> 'verificationId') stored,
      account_id text generated always as (body::jsonb ->> 'accountId') stored,
      client_id text generated always as (body::jsonb ->> 'clientId') stored,
      acr text generated always as (body::jsonb ->> 'acr') stored,
      vendor text generated always as (body::jsonb ->> 'vendor') stored,
      data jsonb generated always as (body::jsonb -> 'data') stored
    )
  `);
  await copyEvents(knex);
  await knex.schema.dropTable('ledger_events');
  await knex.raw('drop function ledger_events_refuse_change()');
  await knex.schema.renameTable('ledger_events_v2', 'ledger_events');
  await knex.raw('alter table ledger_events rename constraint ledger_events_v2_pkey to ledger_events_pkey');
  await knex.schema.alterTable('ledger_events', (t) => {
    t.index(['verification_id']);
    // An account's (or client's) events in a time window: the auditors' most common question.
    t.index(['account_id', 'at']);
    t.index(['client_id', 'at']);
  });

  await knex.schema.createTable('ledger_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.jsonb('public_jwk').notNullable();
    // Null for a key given by reference (STEPUP_LEDGER_KEY_FILE): only its public half is recorded.
    t.jsonb('private_jwk');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('ledger_checkpoints', (t) => {
    t.bigInteger('seq').primary();
    t.text('hash').notNullable();
    t.text('kid').notNullable();
    t.text('jws').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.raw(`
    create function ledger_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
    end $$;
  `);
  for (const table of ['ledger_events', 'ledger_keys', 'ledger_checkpoints']) {
    await knex.raw(
      `create trigger ${table}_no_update before update or delete on ${table} for each row execute function ledger_refuse_change()`,
    );
    await knex.raw(
      `create trigger ${table}_no_truncate before truncate on ${table} for each statement execute function ledger_refuse_change()`,
    );
  }
}

interface LegacyRow {
  seq: number;
  at: Date;
  type: string;
  verification_id: string | null;
  account_id: string | null;
  client_id: string | null;
  acr: string | null;
  vendor: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

// Existing rows keep their hashes: `body` is the canonical text the old verifier re-derived from the columns.
async function copyEvents(knex: Knex): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = (await knex('ledger_events').where('seq', '>', after).orderBy('seq').limit(1000)) as LegacyRow[];
    if (rows.length === 0) return;
    await knex('ledger_events_v2').insert(
      rows.map((row) => ({
        seq: Number(row.seq),
        body: canonicalJson({
          seq: Number(row.seq),
          at: row.at.toISOString(),
          type: row.type,
          verificationId: row.verification_id,
          accountId: row.account_id,
          clientId: row.client_id,
          acr: row.acr,
          vendor: row.vendor,
          data: row.data,
        }),
        prev_hash: row.prev_hash,
        hash: row.hash,
      })),
    );
    after = Number(rows[rows.length - 1]!.seq);
  }
}

export async function down(): Promise<void> {
  throw new Error('the ledger migration cannot be rolled back: the ledger is append-only');
}
