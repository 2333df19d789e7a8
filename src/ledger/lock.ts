import type { Knex } from 'knex';

/**
 * Takes the transaction-scoped lock that serialises writers of one ledger table (per schema). An advisory
 * lock rather than LOCK TABLE: EXCLUSIVE mode needs UPDATE, DELETE or TRUNCATE privilege, which the IdP's
 * database role must not have on the ledger (README, "Database roles").
 */
export async function lockLedgerTable(trx: Knex.Transaction, table: string): Promise<void> {
  await trx.raw(lockStatement(table));
}

/** The head row of `table` (highest seq) read under the writers' lock, which stays held until commit. */
export async function lockedHead<Row>(trx: Knex.Transaction, table: string, columns: string): Promise<Row | undefined> {
  const head = headStatement(table, columns);
  if ((trx.client as Knex.Client).config.client !== 'pg') {
    await lockLedgerTable(trx, table);
    return ((await trx.raw(head)) as { rows: Row[] }).rows[0];
  }
  // One round trip for both: the lock is on the append's critical path, which other instances wait behind.
  // Each statement of a multi-statement query takes its own snapshot, so the head is read after the lock is
  // granted and sees every append committed before.
  const [, result] = (await trx.raw(`${lockStatement(table)}; ${head}`)) as Array<{ rows: Row[] }>;
  return result!.rows[0];
}

// The table and column names are the code's own constants, never input: inlined so the statements can share
// a round trip (a multi-statement query cannot take bind parameters).

/** The statement taking the writers' lock of `table` until the end of the transaction. */
export function lockStatement(table: string): string {
  return `select pg_advisory_xact_lock(hashtext(current_schema() || '.${table}'))`;
}

/** The statement reading the head row of `table`. */
export function headStatement(table: string, columns: string): string {
  return `select ${columns} from ${table} order by seq desc limit 1`;
}
