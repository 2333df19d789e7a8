import type { Knex } from 'knex';

/**
 * The policy each interaction is decided under, fixed when it is first seen, so a reload in the middle of a
 * sign-in changes neither what it requires nor how it ends.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('interaction_policies', (t) => {
    t.text('uid').primary();
    t.text('policy_hash').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('interaction_policies');
}
