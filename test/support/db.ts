import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { openDatabase, type Database, type DatabaseTarget } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';

/** The engines storage tests run on: PGlite always, PostgreSQL too when TEST_DATABASE_URL is set. */
export function testEngines(): Array<{ name: string; target: () => DatabaseTarget }> {
  const engines: Array<{ name: string; target: () => DatabaseTarget }> = [{ name: 'pglite', target: () => ({ engine: 'pglite' }) }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    engines.push({
      name: 'postgres',
      target: () => ({ engine: 'postgres', url, schema: `t_${randomBytes(6).toString('hex')}` }),
    });
  }
  return engines;
}

/** The engine end-to-end tests use: PostgreSQL when available (closest to production), else PGlite. */
export function preferredEngine(): DatabaseTarget {
  const all = testEngines();
  return all[all.length - 1]!.target();
}

/** Opens a fresh, migrated database (own schema on PostgreSQL, in-memory on PGlite). */
export async function freshDatabase(target: DatabaseTarget): Promise<Database> {
  const db = await openDatabase(target);
  await migrate(db);
  const close = db.close;
  return {
    ...db,
    async close() {
      if (db.engine === 'postgres' && db.schema !== 'public') {
        await db.knex.raw('drop schema if exists ?? cascade', [db.schema]);
      }
      await close();
    },
  };
}

/**
 * Runs `work` in a transaction that is always rolled back, so a test that tampers with the ledger starts
 * from, and leaves, the database as it was without paying for a new one.
 */
export async function rolledBack(db: Database, work: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  const trx = await db.knex.transaction();
  try {
    await work(trx);
  } finally {
    await trx.rollback();
  }
}
