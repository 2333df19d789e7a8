import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { startTestIdp } from '../support/idp.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); on a laptop without it this file is skipped, never faked.
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install chromium for the browser tests`);

describe.skipIf(!available)('the /demo click-through in a real browser', () => {
  let idp: RunningIdp;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startTestIdp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });

  it('signs in, meets the RFC 9470 challenge, steps up in the Gu1 iframe and calls the API', async () => {
    const page = await browser.newPage();
    await page.goto(`${idp.issuer}/demo`);
    await page.click('#sign-in');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:password');

    await page.click('#call-api');
    await page.waitForSelector('#step-up');
    expect(await page.textContent('body')).toContain('insufficient_user_authentication');
    await page.click('#step-up');

    const capture = page.frameLocator('iframe');
    await capture.locator('button[name=outcome][value=approve]').click();
    await page.waitForURL(`${idp.issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    expect(JSON.parse((await page.textContent('#amr'))!)).toEqual(['pwd', 'face', 'mfa']);

    await page.click('#call-api');
    await page.waitForSelector('text=Payments API answered 200');
  });
});
