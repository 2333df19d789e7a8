import type { Knex } from 'knex';

/**
 * Takes the transaction-scoped lock that serialises writers of one ledger table (per schema). An advisory
 * lock rather than LOCK TABLE: EXCLUSIVE mode needs UPDATE, DELETE or TRUNCATE privilege, which the IdP's
 * database role must not have on the ledger (README, "Database roles").
 */
export async function lockLedgerTable(trx: Knex.Transaction, table: string): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(hashtext(current_schema() || '.' || ?))`, [table]);
}
