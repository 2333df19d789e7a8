import type { Knex } from 'knex';

/** Storage for oidc-provider, accounts, step-up state, sandboxes and the append-only ledger. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('user_code');
    t.text('uid');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['model', 'grant_id']);
    t.index(['model', 'uid']);
    t.index(['model', 'user_code']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('settings', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.jsonb('private_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('accounts', (t) => {
    t.text('id').primary();
    t.text('username').notNullable().unique();
    t.text('password_hash').notNullable();
    t.text('name');
    t.text('email');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('vendor_subjects', (t) => {
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('vendor').notNullable();
    t.text('subject').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'vendor']);
    t.unique(['vendor', 'subject']);
  });

  await knex.schema.createTable('verifications', (t) => {
    t.text('id').primary();
    t.text('interaction_uid').notNullable();
    t.text('account_id').notNullable();
    t.text('client_id').notNullable();
    t.text('acr').notNullable();
    t.text('vendor').notNullable();
    t.text('vendor_type').notNullable();
    t.text('vendor_session_id');
    t.text('expected_subject').notNullable();
    t.text('reported_subject');
    t.text('state').notNullable();
    t.text('vendor_status');
    t.double('liveness');
    t.double('match');
    t.text('reason');
    t.text('policy_hash').notNullable();
    t.jsonb('thresholds').notNullable();
    t.jsonb('presentation');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('decided_at', { useTz: true });
    t.timestamp('next_poll_at', { useTz: true });
    t.integer('poll_attempts').notNullable().defaultTo(0);
    t.unique(['vendor', 'vendor_session_id']);
    t.index(['interaction_uid']);
    t.index(['account_id', 'acr', 'created_at']);
    t.index(['state', 'next_poll_at']);
  });

  await knex.schema.createTable('session_levels', (t) => {
    t.text('session_uid').notNullable();
    t.text('acr').notNullable();
    t.text('account_id').notNullable();
    t.timestamp('authenticated_at', { useTz: true }).notNullable();
    t.text('verification_id');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    // Every success is kept (not only the latest per level): older refresh tokens still find their txn.
    t.primary(['session_uid', 'acr', 'authenticated_at']);
  });

  await knex.schema.createTable('interaction_steps', (t) => {
    t.text('uid').primary();
    t.text('account_id').notNullable();
    t.jsonb('amr').notNullable();
    t.timestamp('authenticated_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('sandbox_sessions', (t) => {
    t.text('vendor').notNullable();
    t.text('id').notNullable();
    t.jsonb('data').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['vendor', 'id']);
  });

  await knex.schema.createTable('ledger_events', (t) => {
    t.bigInteger('seq').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('type').notNullable();
    t.text('verification_id');
    t.text('account_id');
    t.text('client_id');
    t.text('acr');
    t.text('vendor');
    t.jsonb('data').notNullable();
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable();
    t.index(['verification_id']);
    t.index(['account_id', 'at']);
  });

  // Append-only: the database itself refuses to rewrite history, whatever the application does.
  await knex.raw(`
    create or replace function ledger_events_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$;
  `);
  await knex.raw(`
    create trigger ledger_events_no_update before update or delete on ledger_events
      for each row execute function ledger_events_refuse_change();
  `);
  await knex.raw(`
    create trigger ledger_events_no_truncate before truncate on ledger_events
      for each statement execute function ledger_events_refuse_change();
  `);
}

export async function down(): Promise<void> {
  throw new Error('the foundation migration cannot be rolled back: the ledger is append-only');
}
