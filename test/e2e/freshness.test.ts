import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { REDIRECT_URI, TestRp } from '../support/rp.ts';

const FACE = 'urn:stepup:acr:face';

// The face level of this policy stays fresh for 3 seconds.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/short-freshness.yaml') });

describe('per-level freshness', () => {
  it('needs no interaction within the level maxAge and a new verification after it', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 });
    const first = (await rp.callback(page.leftTo!)).claims()!;
    expect(first.acr).toBe(FACE);

    page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(page.leftTo, 'still fresh: straight back to the RP').toContain(REDIRECT_URI);

    await new Promise((r) => setTimeout(r, 4000));
    page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(page.url).toMatch(/\/stepup$/);
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 });
    const second = (await rp.callback(page.leftTo!)).claims()!;
    expect(second.auth_time).toBeGreaterThan(first.auth_time!);
    expect(second.txn).not.toBe(first.txn);
  });
});
