import type { Knex } from 'knex';

/**
 * Ledger events staged by a state change's own transaction, waiting to be chained into `ledger_events` by
 * the group commit (src/ledger/outbox.ts): a row here has committed with its state change, so it must end up
 * in the chain, and it leaves this table in the transaction that chains it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ledger_outbox', (t) => {
    t.bigIncrements('id').primary();
    // The event as canonical JSON, `at` included: validated when staged, so chaining it cannot fail on encoding.
    t.text('event').notNullable();
    // Copied from the event so a writer can ask whether one is already on its way (a step-up decision).
    t.text('verification_id');
    t.text('type').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ledger_outbox');
}
