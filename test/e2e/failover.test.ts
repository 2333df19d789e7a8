import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALICE_GU1_ENTITY } from '../../src/accounts/demo.ts';
import { countEvents } from '../../src/ledger/query.ts';
import { Browser } from '../support/browser.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, TestRp } from '../support/rp.ts';

const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/failover.yaml') });
beforeAll(async () => {
  await idp().accounts.link('alice', 'gu1-primary', ALICE_GU1_ENTITY);
  // carol is enrolled only at the vendor that is down.
  await idp().accounts.add({ id: 'carol', username: 'carol', password: 'carol' });
  await idp().accounts.link('carol', 'gu1-primary', 'c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b');
});

describe('vendor failover', () => {
  it('skips a vendor that cannot be reached, records the failover, and verifies at the next one', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    const claims = (await rp.callback(page.leftTo!)).claims()!;
    expect(claims.acr).toBe('urn:stepup:acr:face');

    const failed = await idp().db.knex('verifications').where({ vendor: 'gu1-primary' }).first();
    expect(failed).toMatchObject({ state: 'failed', reason: 'vendor_unavailable' });
    const failover = await idp().db.knex('ledger_events').where({ type: 'vendor.failover', vendor: 'gu1-primary' }).first();
    expect(failover).toBeDefined();
    const used = await idp().db.knex('verifications').where({ id: claims.txn }).first();
    expect(used.vendor).toBe('gu1');
  });

  it('answers temporarily_unavailable when every vendor the person is enrolled at is down', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser, 'carol');
    const page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    expect(callbackError(page.leftTo)?.error).toBe('temporarily_unavailable');
    const failovers = await countEvents(idp().db.knex, { type: 'vendor.failover', account: 'carol' });
    expect(failovers, 'no failover is recorded when there is no next vendor').toBe(0);
  });
});
