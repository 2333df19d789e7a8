import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { passwordLogin } from '../support/flows.ts';
import { PROJECT_ROOT, useTestIdp } from '../support/idp.ts';
import { callbackError, TestRp } from '../support/rp.ts';

// This policy sends the person to Gu1's hosted page with a full-page redirect instead of an iframe.
const idp = useTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/redirect-presentation.yaml') });

describe('redirect presentation', () => {
  it('redirects to the hosted capture and finishes when the vendor sends the browser back', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const hosted = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:stepup:acr:face' }));
    expect(hosted.url).toMatch(/\/sandbox\/gu1\/session\/[^/]+$/);
    const action = /<form[^>]+action="([^"]+)"/.exec(hosted.body)![1]!;
    // The person's choice on the vendor page; the vendor's 303 goes to /interaction/:uid/stepup/return.
    const back = await browser.post(action.replaceAll('&amp;', '&'), { outcome: 'approve', liveness: '0.97', match: '0.93' });
    expect(callbackError(back.leftTo)).toBeUndefined();
    expect((await rp.callback(back.leftTo!)).claims()!.acr).toBe('urn:stepup:acr:face');
  });
});
