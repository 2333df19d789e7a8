import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { ALICE_GU1_ENTITY } from '../../src/accounts/demo.ts';
import { Browser } from '../support/browser.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT, startTestIdp } from '../support/idp.ts';
import { TestRp } from '../support/rp.ts';

let idp: RunningIdp;
beforeAll(async () => {
  idp = await startTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/failover.yaml') });
  await idp.stepup.accounts.link('alice', 'gu1-primary', ALICE_GU1_ENTITY);
});
afterAll(async () => {
  await idp?.close();
});

describe('vendor failover', () => {
  it('skips a vendor that cannot be reached, records the failover, and verifies at the next one', async () => {
    const rp = await TestRp.register(idp.issuer);
    const browser = new Browser(idp.issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    page = await completeCapture(idp.issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    const claims = (await rp.callback(page.leftTo!)).claims()!;
    expect(claims.acr).toBe('urn:stepup:acr:face');

    const failed = await idp.db.knex('verifications').where({ vendor: 'gu1-primary' }).first();
    expect(failed).toMatchObject({ state: 'failed', reason: 'vendor_unavailable' });
    const failover = await idp.db.knex('ledger_events').where({ type: 'vendor.failover', vendor: 'gu1-primary' }).first();
    expect(failover).toBeDefined();
    const used = await idp.db.knex('verifications').where({ id: claims.txn }).first();
    expect(used.vendor).toBe('gu1');
  });
});
