import type { Knex } from 'knex';

/**
 * Roles of accounts beyond signing in, such as `auditor` (may open the audit console). A row per role, so a
 * role is granted or withdrawn without touching the account, and an account's rows go with it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_roles', (t) => {
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'role']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('account_roles');
}
