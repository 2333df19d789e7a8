import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { startIdp, type RunningIdp } from '../../src/server/app.ts';
import { configFromEnv } from '../../src/server/config.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

const url = process.env.TEST_DATABASE_URL;
const schema = `t_${randomBytes(6).toString('hex')}`;
const started: RunningIdp[] = [];

afterAll(async () => {
  await Promise.all(started.map((idp) => idp.close()));
  if (!url) return;
  const admin = await openDatabase({ engine: 'postgres', url });
  await admin.knex.raw('drop schema if exists ?? cascade', [schema]);
  await admin.close();
});

describe.skipIf(!url)('instances starting together on an empty database', () => {
  it('both serve, with one set of keys and the demo accounts seeded once', async () => {
    // Each instance opens its own pool on the same, still empty, schema: as two processes would.
    const config = configFromEnv(
      { STEPUP_KEK: randomBytes(32).toString('base64url') },
      {
        port: 0,
        host: '127.0.0.1',
        policyFile: path.join(PROJECT_ROOT, 'policies/default.yaml'),
        sandbox: true,
        database: { engine: 'postgres', url: url!, schema },
      },
    );
    const logger = pino({ level: 'silent' });
    const results = await Promise.allSettled([startIdp(config, { logger }), startIdp(config, { logger }), startIdp(config, { logger })]);
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'started'))).toEqual(['started', 'started', 'started']);

    const jwks = await Promise.all(
      started.map(async (idp) => {
        const response = await fetch(`${idp.issuer}/jwks`);
        expect(response.status).toBe(200);
        return ((await response.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort();
      }),
    );
    expect(jwks[0]).toHaveLength(2);
    expect(jwks[1]).toEqual(jwks[0]);
    expect(jwks[2]).toEqual(jwks[0]);

    const knex = started[0]!.db.knex;
    const accounts = await knex('accounts').select('username').orderBy('username');
    expect(accounts.map((a: { username: string }) => a.username)).toEqual(['alice', 'auditor', 'bob']);
    expect(await knex('vendor_subjects').where({ account_id: 'alice' }).count({ n: '*' })).toEqual([{ n: 5 }]);
    expect(await knex('account_roles').select('account_id', 'role')).toEqual([{ account_id: 'auditor', role: 'auditor' }]);
    expect(await knex('ledger_keys').count({ n: '*' })).toEqual([{ n: 1 }]);
  });
});
