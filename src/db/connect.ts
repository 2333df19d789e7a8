import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { countStatements } from './work-counts.ts';

// int8 and numeric come back as strings from `pg` but as numbers from PGlite; make both engines agree.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** Where the data lives: a PostgreSQL URL, an embedded PGlite folder, or an in-memory PGlite. */
export type DatabaseTarget =
  { engine: 'postgres'; url: string; schema?: string; poolMax?: number } | { engine: 'pglite'; dataDir?: string; schema?: string };

/** How long an auditor's query (filters of their choosing) may run before PostgreSQL cancels it. */
export const QUERY_TIMEOUT_MS = 5000;

/** An open database handle shared by every module of one IdP instance. */
export interface Database {
  knex: Knex;
  /**
   * For auditors' queries: on PostgreSQL a small pool of its own whose connections have statement_timeout
   * QUERY_TIMEOUT_MS, so a query needs no transaction to be bounded; on PGlite the same handle as `knex`.
   */
  queries: Knex;
  engine: DatabaseTarget['engine'];
  /** The schema all tables live in (`public` unless isolated, e.g. per test file). */
  schema: string;
  close(): Promise<void>;
}

/** Reads the target from the environment: `DATABASE_URL`, else PGlite in `STEPUP_DATA_DIR` (default `./.data`). */
export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  if (env.DATABASE_URL) return { engine: 'postgres', url: env.DATABASE_URL };
  const dir = env.STEPUP_DATA_DIR ?? './.data';
  return dir === 'memory://' ? { engine: 'pglite' } : { engine: 'pglite', dataDir: dir };
}

/** Where the database's own warnings and connection errors go; without a logger, JSON lines on stderr. */
export interface OpenOptions {
  logger?: Logger;
}

/** Opens (and for PGlite creates) the database; does not run migrations. */
export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  const schema = target.schema ?? 'public';
  const logger = (options.logger ?? pino({ level: 'warn' }, pino.destination(2))).child({ component: 'database' });
  let knex: Knex;
  if (target.engine === 'postgres') {
    knex = knexFactory({
      client: 'pg',
      connection: target.url,
      pool: { min: 0, max: target.poolMax ?? 10, afterCreate: reportConnectionErrors(logger) },
      searchPath: [schema],
      acquireConnectionTimeout: 10_000,
      log: knexLog(logger),
    });
  } else {
    if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
    knex = knexFactory({
      client: ClientPgLite as unknown as typeof Knex.Client,
      dialect: 'postgres',
      connection: target.dataDir ? { filename: target.dataDir } : {},
      searchPath: [schema],
      acquireConnectionTimeout: 30_000,
      log: knexLog(logger),
    } as Knex.Config);
  }
  countStatements(knex);
  if (schema !== 'public') await createSchema(knex, schema);
  await knex.raw('select 1');
  const queries =
    target.engine === 'postgres'
      ? knexFactory({
          client: 'pg',
          connection: { connectionString: target.url, statement_timeout: QUERY_TIMEOUT_MS },
          pool: { min: 0, max: 4, afterCreate: reportConnectionErrors(logger) },
          searchPath: [schema],
          acquireConnectionTimeout: 10_000,
          log: knexLog(logger),
        })
      : knex;
  return {
    knex,
    queries,
    engine: target.engine,
    schema,
    close: async () => {
      if (queries !== knex) await queries.destroy();
      await knex.destroy();
    },
  };
}

// `if not exists` is checked before the insert into the catalogue: two instances creating one schema at the
// same moment can both pass it, and the later one then fails on the catalogue's unique index.
async function createSchema(knex: Knex, schema: string): Promise<void> {
  try {
    await knex.raw('create schema if not exists ??', [schema]);
  } catch (error) {
    if (!['23505', '42P06'].includes((error as { code?: string }).code ?? '')) throw error;
  }
}

// knex prints its warnings (e.g. "Connection Error: …" when it finds a pooled connection dead) with
// console.log unless given these.
function knexLog(logger: Logger): Knex.Config['log'] {
  return {
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.error(message),
    deprecate: (method: string, alternative: string) => logger.warn({ method, alternative }, 'deprecated knex call'),
    debug: (message: unknown) => logger.debug({ message }, 'knex'),
  };
}

// A pooled connection that the server drops (restart, failover, idle timeout) emits 'error' while no query
// is running; knex only notes it and discards the connection on its next checkout. It is logged when it happens.
function reportConnectionErrors(logger: Logger) {
  return (connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) => {
    connection.on('error', (err) => logger.warn({ err }, 'database connection lost; the pool replaces it'));
    done(null, connection);
  };
}
