import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { completeCapture, expectRetryPage, passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, TestRp } from '../support/rp.ts';

// This policy allows two rejected face verifications per 15 minutes.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/two-attempts.yaml') });

describe('attempt limits', () => {
  it('offers the capture again while attempts are left, then refuses new verifications once attempts.max is reached', async () => {
    // Property: repeated presentation attacks against one account are cut off (NIST SP 800-63B-4 limits).
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'reject' });
    const again = expectRetryPage(page, 1);
    page = await completeCapture(idp().issuer, browser, await browser.get(again), { outcome: 'reject' });
    expect(callbackError(page.leftTo), 'the second rejection uses the last attempt').toEqual({
      error: 'unmet_authentication_requirements',
      description: 'the requested authentication could not be performed',
    });

    const refused = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    const error = callbackError(refused.leftTo);
    expect(error?.error).toBe('unmet_authentication_requirements');
    expect(error?.description, 'the RP is not told why').toBe('the requested authentication could not be performed');
    const started = await idp().db.knex('verifications').where({ account_id: 'alice' }).count<{ n: number }[]>({ n: '*' });
    expect(Number(started[0]!.n), 'no third capture was started').toBe(2);
  });
});
