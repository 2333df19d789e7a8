import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, signInAtDemo, useChromiumAndIdp, watchCspViolations } from '../support/chromium.ts';

describe.skipIf(!CHROMIUM_AVAILABLE)('the /demo click-through in a real browser', () => {
  const { idp, browser } = useChromiumAndIdp();

  it('signs in, meets the RFC 9470 challenge, steps up in the Gu1 iframe and calls the API', async () => {
    const page = await browser().newPage();
    const violations = await watchCspViolations(page);
    await signInAtDemo(page, idp().issuer);

    // The demo RP's tokens are DPoP-bound, so the API answers in the DPoP scheme.
    expect(await page.textContent('#token-type')).toBe('DPoP-bound');
    await page.click('#call-api');
    await page.waitForSelector('#step-up');
    expect(await page.textContent('body')).toContain('insufficient_user_authentication');
    expect(await page.textContent('#challenge-scheme')).toBe('DPoP');
    await page.click('#step-up');

    const capture = page.frameLocator('iframe');
    await capture.locator('button[name=outcome][value=approve]').click();
    await page.waitForURL(`${idp().issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    expect(JSON.parse((await page.textContent('#amr'))!)).toEqual(['pwd', 'face', 'mfa']);

    await page.click('#call-api');
    await page.waitForSelector('text=Payments API answered 200');
    // The demo, the interaction pages, the Gu1 frame and the page that breaks out of it, all under their CSP.
    expect(violations).toEqual([]);
  });
});
