import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/connect.ts';
import { startIdp, type RunningIdp } from '../../src/server/app.ts';
import { configFromEnv } from '../../src/server/config.ts';
import { freshDatabase, preferredEngine } from '../support/db.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

// Property: one source address cannot send a webhook route more than the configured number of requests per
// window, counted across every instance sharing the database; other sources are not held back by it.

const LIMIT = 6;

/** Two IdP instances on one database (two connection pools on PostgreSQL), 6 webhooks per source a minute. */
function useTwoInstances() {
  let db: Database;
  let second: Database;
  const instances: RunningIdp[] = [];
  beforeAll(async () => {
    db = await freshDatabase(preferredEngine());
    // A second pool onto the same schema, as another instance would have; PGlite is one process's.
    second =
      db.engine === 'postgres' ? await openDatabase({ engine: 'postgres', url: process.env.TEST_DATABASE_URL!, schema: db.schema }) : db;
    const config = configFromEnv(
      { STEPUP_WEBHOOK_RATE_LIMIT: `${LIMIT}/60`, STEPUP_TRUST_PROXY: '1' },
      { port: 0, host: '127.0.0.1', policyFile: path.join(PROJECT_ROOT, 'policies/default.yaml'), sandbox: true },
    );
    for (const handle of [db, second]) instances.push(await startIdp(config, { db: handle, logger: pino({ level: 'silent' }) }));
  });
  afterAll(async () => {
    for (const idp of instances) await idp.close();
    if (second !== db) await second?.close();
    await db?.close();
  });
  return { instances: () => instances, engine: () => db.engine };
}

const post = (idp: RunningIdp, source: string) =>
  fetch(`http://127.0.0.1:${idp.port}/stepup/webhooks/gu1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': source },
    body: '{}',
  });

describe('webhook rate limits per source address', () => {
  const { instances, engine } = useTwoInstances();

  it('answers 429 with Retry-After once a source has spent its budget, and still serves other sources', async () => {
    const [idp] = instances();
    for (let i = 0; i < LIMIT; i++) expect((await post(idp!, '203.0.113.7')).status).toBe(400);
    const limited = await post(idp!, '203.0.113.7');
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'rate_limited' });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await post(idp!, '203.0.113.8')).status, 'another source').toBe(400);
  });

  it('counts a source across instances sharing PostgreSQL', async ({ skip }) => {
    if (engine() !== 'postgres') skip('the embedded PGlite database belongs to one process, whose counters stay in memory');
    const [one, two] = instances();
    for (let i = 0; i < LIMIT / 2; i++) {
      expect((await post(one!, '198.51.100.1')).status).toBe(400);
      expect((await post(two!, '198.51.100.1')).status).toBe(400);
    }
    expect((await post(one!, '198.51.100.1')).status).toBe(429);
    expect((await post(two!, '198.51.100.1')).status).toBe(429);
    const [row] = await instances()[0]!.db.knex('rate_limits').where('key', 'like', 'webhook_src:%198.51.100.1');
    expect(row?.points).toBeGreaterThanOrEqual(LIMIT);
  });
});
