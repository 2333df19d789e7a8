import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { completeCapture, passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, TestRp } from '../support/rp.ts';

// This policy allows two rejected face verifications per 15 minutes.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/two-attempts.yaml') });

describe('attempt limits', () => {
  it('refuses new verifications once the rejected ones reach attempts.max in the window', async () => {
    // Property: repeated presentation attacks against one account are cut off (NIST SP 800-63B-4 limits).
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
      const done = await completeCapture(idp().issuer, browser, page, { outcome: 'reject' });
      expect(callbackError(done.leftTo)?.error).toBe('unmet_authentication_requirements');
    }
    const refused = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    const error = callbackError(refused.leftTo);
    expect(error?.error).toBe('unmet_authentication_requirements');
    expect(error?.description).toContain('too many unsuccessful attempts');
    const started = await idp().db.knex('verifications').where({ account_id: 'alice' }).count<{ n: number }[]>({ n: '*' });
    expect(Number(started[0]!.n), 'no third capture was started').toBe(2);
  });
});
