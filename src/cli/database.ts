import { openDatabase, type Database } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { configFromEnv } from '../server/config.ts';

/**
 * Opens the database the server would use (DATABASE_URL or STEPUP_DATA_DIR) for one command and closes it
 * afterwards. Commands that write migrate first; read-only ones do not, since an auditor's role may only read.
 */
export async function withDatabase<T>(work: (db: Database) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const db = await openDatabase(configFromEnv().database);
  try {
    if (options.migrate) await migrate(db);
    return await work(db);
  } finally {
    await db.close();
  }
}
