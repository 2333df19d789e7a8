import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, signInAtDemo, useChromiumAndIdp, watchCspViolations } from '../support/chromium.ts';

/** How a person approves at each vendor's sandbox capture, once the step-up page shows it. */
const APPROVE: Record<string, (page: Page) => Promise<void>> = {
  // A widget in our own page: the vendor's script, started by the page's glue, calls onComplete.
  globalpass: (page) => page.click('button[data-outcome=approve]'),
  // A full redirect to the vendor's hosted page, which sends the browser back with ?token=.
  verifik: (page) => page.click('button[name=outcome][value=approve]'),
  // authID's web component frames the hosted UI (in a closed shadow root); its final page posts authid:page.
  authid: async (page) => {
    await expect.poll(() => page.frames().some((f) => f.url().includes('/sandbox/authid/?t='))).toBe(true);
    await page
      .frames()
      .find((f) => f.url().includes('/sandbox/authid/?t='))!
      .click('button[name=outcome][value=approve]');
  },
  // Passbase's own button framing the sandbox controller: onFinish after the encrypted webhook was delivered.
  passbase: async (page) => {
    const controller = page.frameLocator('iframe#passbase-verify-button');
    await controller.locator('#verify').click();
    await controller.locator('button[value=approve]').click();
  },
};

// The default policy's face level in Chromium: "try another way" reaches every vendor, and each one's
// presentation (widget, redirect, iframe with postMessage, button) carries the person back to the RP.
describe.skipIf(!CHROMIUM_AVAILABLE)('every vendor of the demo policy in a real browser', () => {
  const { idp, browser } = useChromiumAndIdp();

  it.each(Object.keys(APPROVE))('steps alice up through %s', async (vendor) => {
    const page = await browser().newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Every page on the way (ours, the vendor's script, frame or redirect) works under the IdP's CSP.
    const violations = await watchCspViolations(page);
    await signInAtDemo(page, idp().issuer);
    await page.click('#call-api');
    await page.click('#step-up');
    await page.click(`a[href$="stepup?vendor=${vendor}"]`);
    await APPROVE[vendor]!(page);
    await page.waitForURL(`${idp().issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    const txn = (await page.textContent('#txn'))!.trim();
    expect((await idp().db.knex('verifications').where({ id: txn }).first()).vendor).toBe(vendor);
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });
});
