/**
 * A process that approves one verification and dies (SIGKILL) the moment its ledger drain starts: the
 * state change and its staged event are committed, nothing is chained. Argument: the DatabaseTarget as JSON
 * and the verification id. Used by test/ledger/outbox.test.ts.
 */
import pg from 'pg';
import { openDatabase, type DatabaseTarget } from '../../src/db/connect.ts';
import { transition } from '../../src/verification/repository.ts';

const [target, verificationId] = [JSON.parse(process.argv[2]!) as DatabaseTarget, process.argv[3]!];
const DRAIN = /pg_advisory_xact_lock/;
const die = () => process.kill(process.pid, 'SIGKILL');

// The drain is the first statement to take the ledger's lock: on PostgreSQL it talks to pg directly, on
// PGlite it goes through knex.
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
  if (text && DRAIN.test(text)) die();
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;
const db = await openDatabase(target);
db.knex.on('query', ({ sql }: { sql: string }) => DRAIN.test(sql) && die());
await transition(db.knex, verificationId, 'approved', new Date(), { vendorStatus: 'approved', liveness: 0.97, match: 0.93 });
// Reaching this line means the drain never started: the test sees exit code 0 instead of SIGKILL.
await db.close();
