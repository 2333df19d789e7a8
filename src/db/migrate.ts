import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Database } from './connect.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

// knex's own directory loader cannot import .ts files; this source lists them and imports them itself.
const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const files = await readdir(MIGRATIONS_DIR);
    return files.filter((f) => /^\d+_[\w-]+\.(ts|js)$/.test(f)).sort();
  },
  getMigrationName: (file) => file.replace(/\.(ts|js)$/, ''),
  async getMigration(file) {
    return (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as MigrationModule;
  },
};

/**
 * Brings the schema up to date; any number of instances may call it at once on one database. knex's own
 * lock (a row in knex_migrations_lock) makes a second migrator fail with "Migration table is already locked"
 * rather than wait, and two first starts can race to create knex's tables; so on PostgreSQL every migrator
 * first queues on a session advisory lock per schema, and the later ones find nothing left to apply.
 */
export async function migrate(db: Database): Promise<string[]> {
  if (db.engine !== 'postgres') return latest(db);
  // A session lock lives on one connection: hold one aside for the lock while knex migrates on others.
  const client = db.knex.client as Knex.Client;
  const connection = await client.acquireConnection();
  const key = `stepup.migrate.${db.schema}`;
  try {
    await db.knex.raw('select pg_advisory_lock(hashtext(?))', [key]).connection(connection);
    try {
      return await latest(db);
    } finally {
      await db.knex.raw('select pg_advisory_unlock(hashtext(?))', [key]).connection(connection);
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

async function latest(db: Database): Promise<string[]> {
  const [, applied] = (await db.knex.migrate.latest({
    migrationSource,
    schemaName: db.schema === 'public' ? undefined : db.schema,
  })) as [number, string[]];
  return applied;
}
