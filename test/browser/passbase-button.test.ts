import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { PROJECT_ROOT, startTestIdp } from '../support/idp.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); on a laptop without it this file is skipped, never faked.
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install chromium for the browser tests`);

// The step-up page's Passbase glue, the sandbox's @passbase/button stand-in and the IdP together, in Chromium.
describe.skipIf(!available)('the Passbase button on the step-up page in a real browser', () => {
  let idp: RunningIdp;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startTestIdp({ policyFile: path.join(PROJECT_ROOT, 'test/fixtures/vendor-passbase.yaml') });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  async function toStepUp(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${idp.issuer}/demo`);
    await page.click('#sign-in');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:password');
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
    await page.waitForURL(`${idp.issuer}/demo`);
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
