import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, signInAtDemo, useChromiumAndIdp } from '../support/chromium.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

// The step-up page's Passbase glue, the sandbox's @passbase/button stand-in and the IdP together, in Chromium.
describe.skipIf(!CHROMIUM_AVAILABLE)('the Passbase button on the step-up page in a real browser', () => {
  const { idp, browser } = useChromiumAndIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-passbase.yaml') });

  async function toStepUp(): Promise<Page> {
    const page = await browser().newPage();
    await signInAtDemo(page, idp().issuer);
    await page.click('#call-api');
    await page.waitForSelector('#step-up');
    await page.click('#step-up');
    await page.waitForSelector('button[data-passbase=verify-button]');
    return page;
  }

  it('Verify me → Approve re-authenticates alice; the page moves on by itself and the demo holds the face level', async () => {
    const page = await toStepUp();
    await page.click('button[data-passbase=verify-button]');
    expect(await page.inputValue('#passbase-email')).toBe('alice@example.com');
    await page.click('text=Approve (my face matches)');
    await page.waitForURL(`${idp().issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    await page.close();
  });

  it('Fail authentication ends the step-up unmet', async () => {
    const page = await toStepUp();
    await page.click('button[data-passbase=verify-button]');
    await page.click('text=Fail authentication');
    await page.waitForURL((url) => !url.pathname.includes('/interaction/'));
    expect(await page.textContent('body')).toContain('unmet_authentication_requirements');
    await page.close();
  });
});
