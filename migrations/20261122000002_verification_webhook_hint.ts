import type { Knex } from 'knex';

/**
 * The last authenticated webhook hint of a verification. Passbase's identity record alone cannot show one
 * re-authentication, so a later poll needs the webhook that announced it when the record lagged behind.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('verifications', (t) => {
    t.jsonb('last_webhook');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('verifications', (t) => {
    t.dropColumn('last_webhook');
  });
}
