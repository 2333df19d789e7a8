import type { Knex } from 'knex';

/**
 * Webhook events already taken, by vendor and event id, kept until the verification they concerned has
 * expired: a replayed event (Passbase's encrypted bodies carry no signature or nonce) is refused.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_receipts', (t) => {
    t.string('vendor', 255).notNullable();
    t.string('event_id', 64).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable().index();
    t.primary(['vendor', 'event_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_receipts');
}
