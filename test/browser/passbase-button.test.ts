import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_AVAILABLE, signInAtDemo, useChromiumAndIdp } from '../support/chromium.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

// Passbase's own @passbase/button 4.4.0 on the step-up page, framing the sandbox's controller.html, in Chromium.
describe.skipIf(!CHROMIUM_AVAILABLE)('the real Passbase button on the step-up page in a real browser', () => {
  const { idp, browser } = useChromiumAndIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-passbase.yaml') });

  async function toStepUp(): Promise<{ page: Page; controller: FrameLocator; errors: string[] }> {
    const page = await browser().newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signInAtDemo(page, idp().issuer);
    await page.click('#call-api');
    await page.waitForSelector('#step-up');
    await page.click('#step-up');
    // The button's own iframe (id and title are Passbase's), framing the sandbox's controller.
    const frame = page.locator('iframe#passbase-verify-button');
    await frame.waitFor();
    expect(await frame.getAttribute('src')).toBe(`${idp().issuer}/sandbox/passbase/browser/v4/controller.html`);
    expect(await frame.getAttribute('allow')).toBe('microphone; camera; clipboard-write');
    return { page, controller: page.frameLocator('iframe#passbase-verify-button'), errors };
  }

  it('the script the IdP serves is the npm package’s, with only the controller address changed', async () => {
    const served = await (await fetch(`${idp().issuer}/sandbox/passbase/button.js`)).text();
    const original = readFileSync(createRequire(import.meta.url).resolve('@passbase/button/button.js'), 'utf8');
    expect(served).toBe(
      original.replace(
        '"https://button.passbase.com/browser/v4/controller.html"',
        JSON.stringify(`${idp().issuer}/sandbox/passbase/browser/v4/controller.html`),
      ),
    );
  });

  it('Verify me → Approve: the controller gets the prefilled email, the page moves on by itself and the demo holds the face level', async () => {
    const { page, controller, errors } = await toStepUp();
    await controller.locator('#verify').click();
    // Started, the button makes its frame fill the window (Passbase's overlay).
    await expect.poll(() => page.locator('iframe#passbase-verify-button').evaluate((f) => getComputedStyle(f).position)).toBe('fixed');
    expect(await controller.locator('#email').inputValue()).toBe('alice@example.com');
    await controller.locator('button[value=approve]').click();
    await page.waitForURL(`${idp().issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('BIOMETRIC_AUTHENTICATION_FAILED offers a retry, and giving up ends the step-up unmet', async () => {
    const { page, controller } = await toStepUp();
    await controller.locator('#verify').click();
    await controller.locator('button[value=BIOMETRIC_AUTHENTICATION_FAILED]').click();
    await giveUpOnRetryPage(page);
    expect(await page.textContent('body')).toContain('unmet_authentication_requirements');
    await page.close();
  });

  it('FATAL_ERROR tells the person the attempt ended and fails the verification', async () => {
    const { page, controller } = await toStepUp();
    await controller.locator('#verify').click();
    // Hold the page's report to the server, so the message can be read before the page moves on.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/stepup/signal', async (route) => {
      await held;
      await route.continue();
    });
    await controller.locator('button[value=FATAL_ERROR]').click();
    await expect.poll(() => page.locator('#stepup-widget + p[role=status]').textContent()).toContain('this attempt has ended');
    release();
    await giveUpOnRetryPage(page);
    expect(await page.textContent('body')).toContain('unmet_authentication_requirements');
    const latest = await idp().db.knex('verifications').where({ vendor: 'passbase' }).orderBy('created_at', 'desc').first();
    expect(latest).toMatchObject({ state: 'failed', reason: 'FATAL_ERROR' });
    await page.close();
  });
});

/** The IdP's retry page after a failed capture: the person cancels, and the demo RP shows what it got. */
async function giveUpOnRetryPage(page: Page): Promise<void> {
  await page.getByRole('heading', { name: 'Verification not completed' }).waitFor();
  await page.getByRole('button', { name: 'Cancel and go back' }).click();
  await page.waitForURL((url) => !url.pathname.includes('/interaction/'));
}
