import type { Knex } from 'knex';

/**
 * Runs `work` in the caller's transaction when given one, so its writes commit or roll back with the
 * caller's; otherwise opens a transaction of its own.
 */
export function inTransaction<T>(knex: Knex | Knex.Transaction, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.isTransaction ? work(knex as Knex.Transaction) : knex.transaction(work);
}
