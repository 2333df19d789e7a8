import type { Knex } from 'knex';

/**
 * The per-account keys of the ledger's keyed commitments (src/ledger/commitments.ts). Unlike the ledger, this
 * table is erasable: deleting an account's row is what makes its ledger rows unlinkable to it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ledger_account_keys', (t) => {
    t.text('account_id').primary();
    // 32 random bytes, base64url.
    t.text('key').notNullable();
    // HMAC of the account id under `key` (what its rows hold), so an account query is one statement: the key
    // is not needed to find the rows, and deleting the row unlinks them at once.
    t.text('commitment').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ledger_account_keys');
}
