import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { startIdp } from '../../src/server/app.ts';
import { configFromEnv } from '../../src/server/config.ts';
import { Browser } from '../support/browser.ts';
import { freshDatabase, preferredEngine } from '../support/db.ts';
import { passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT } from '../support/idp.ts';
import { REDIRECT_URI, TestRp } from '../support/rp.ts';

let db: Database | undefined;
afterAll(async () => {
  await db?.close();
});

describe('state lives in the database', () => {
  it('lets a restarted IdP (same keys, same port) continue the sessions of the previous one', async () => {
    db = await freshDatabase(preferredEngine());
    const config = configFromEnv(
      {},
      { port: 0, host: '127.0.0.1', policyFile: path.join(PROJECT_ROOT, 'policies/default.yaml'), sandbox: true },
    );
    const logger = pino({ level: 'silent' });
    const first = await startIdp(config, { db, logger });
    const rp = await TestRp.register(first.issuer);
    const browser = new Browser(first.issuer);
    const before = (await passwordLogin(rp, browser)).claims()!;
    await first.close();

    const second = await startIdp({ ...config, port: first.port }, { db, logger });
    try {
      // prompt=none succeeds only if the session, the client and the cookie keys all survived.
      const page = await browser.get(await rp.authorizationUrl({ prompt: 'none' }));
      expect(page.leftTo).toContain(REDIRECT_URI);
      const after = (await rp.callback(page.leftTo!)).claims()!;
      expect(after.sub).toBe('alice');
      expect(after.auth_time).toBe(before.auth_time);
    } finally {
      await second.close();
    }
  });
});
