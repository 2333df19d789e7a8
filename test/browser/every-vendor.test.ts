import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { startTestIdp } from '../support/idp.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); on a laptop without it this file is skipped, never faked.
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install chromium for the browser tests`);

/** How a person approves at each vendor's sandbox capture, once the step-up page shows it. */
const APPROVE: Record<string, (page: Page) => Promise<void>> = {
  // A widget in our own page: the vendor's script, started by the page's glue, calls onComplete.
  globalpass: (page) => page.click('button[data-outcome=approve]'),
  // A full redirect to the vendor's hosted page, which sends the browser back with ?token=.
  verifik: (page) => page.click('button[name=outcome][value=approve]'),
  // An iframe whose final page posts authid:page to our page, which then asks the server.
  authid: (page) => page.frameLocator('iframe').locator('button[name=outcome][value=approve]').click(),
  // The Passbase button: onFinish after the sandbox delivered the encrypted webhook.
  passbase: async (page) => {
    await page.click('button[data-passbase=verify-button]');
    await page.click('text=Approve (my face matches)');
  },
};

// The default policy's face level in Chromium: "try another way" reaches every vendor, and each one's
// presentation (widget, redirect, iframe with postMessage, button) carries the person back to the RP.
describe.skipIf(!available)('every vendor of the demo policy in a real browser', () => {
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

  it.each(Object.keys(APPROVE))('steps alice up through %s', async (vendor) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${idp.issuer}/demo`);
    await page.click('#sign-in');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:password');
    await page.click('#call-api');
    await page.click('#step-up');
    await page.click(`a[href$="stepup?vendor=${vendor}"]`);
    await APPROVE[vendor]!(page);
    await page.waitForURL(`${idp.issuer}/demo`);
    await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:face');
    const txn = (await page.textContent('#txn'))!.trim();
    expect((await idp.db.knex('verifications').where({ id: txn }).first()).vendor).toBe(vendor);
    expect(errors).toEqual([]);
    await page.close();
  });
});
