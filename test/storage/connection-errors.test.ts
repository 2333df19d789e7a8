import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/connect.ts';

// Property: a PostgreSQL connection dropped under the pool is reported as a structured log record, never as
// free text on the console, and the pool carries on with a new connection.

const url = process.env.TEST_DATABASE_URL;
const records: Array<{ level: number; msg: string; component?: string; err?: { message: string } }> = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write: (line, _enc, done) => {
      records.push(JSON.parse(String(line)));
      done();
    },
  }),
);

describe.skipIf(!url)('a dropped database connection', () => {
  let db: Database;
  let admin: Database;
  afterAll(async () => {
    await db?.close();
    await admin?.close();
  });

  it('is logged through pino, and the next query runs on a fresh connection', async () => {
    db = await openDatabase({ engine: 'postgres', url: url!, poolMax: 1 }, { logger });
    admin = await openDatabase({ engine: 'postgres', url: url! });
    const printed = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')];
    try {
      const pid = ((await db.knex.raw('select pg_backend_pid() as pid')) as { rows: Array<{ pid: number }> }).rows[0]!.pid;
      await admin.knex.raw('select pg_terminate_backend(?)', [pid]);
      await vi.waitFor(() => expect(records.some((r) => r.msg.includes('connection lost'))).toBe(true));
      const after = ((await db.knex.raw('select pg_backend_pid() as pid')) as { rows: Array<{ pid: number }> }).rows[0]!.pid;
      expect(after).not.toBe(pid);
      for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of printed) spy.mockRestore();
    }
    const lost = records.find((r) => r.msg.includes('connection lost'))!;
    expect(lost).toMatchObject({ level: 40, component: 'database', err: { message: expect.stringContaining('terminating connection') } });
    expect(records).toContainEqual(
      expect.objectContaining({ level: 40, component: 'database', msg: expect.stringContaining('Connection Error') }),
    );
  });
});
