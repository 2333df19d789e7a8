import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { startTestIdp } from './idp.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run); on a laptop without it the browser tests are skipped, never faked.
export const CHROMIUM_AVAILABLE = existsSync(CHROMIUM);
if (!CHROMIUM_AVAILABLE && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install chromium for the browser tests`);

/** Launches the installed Chromium headless, without the sandbox, GPU or background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Starts the bundled IdP, then Chromium, for the enclosing describe (beforeAll) and closes both (afterAll);
 * call the results to reach them.
 */
export function useChromiumAndIdp(options: Parameters<typeof startTestIdp>[0] = {}): { idp: () => RunningIdp; browser: () => Browser } {
  let idp: RunningIdp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    idp = await startTestIdp(options);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
  });
  return {
    idp: () => idp ?? fail('the test IdP is not running'),
    browser: () => browser ?? fail('Chromium is not running'),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

/** Opens the IdP's /demo on `page` and signs alice in with her password, up to the password acr. */
export async function signInAtDemo(page: Page, issuer: string): Promise<void> {
  await page.goto(`${issuer}/demo`);
  await page.click('#sign-in');
  await page.fill('#username', 'alice');
  await page.fill('#password', 'alice');
  await page.click('button[type=submit]');
  await expect.poll(() => page.textContent('#acr')).toBe('urn:stepup:acr:password');
}

/**
 * Collects the Content-Security-Policy violations `page` and its frames report from now on (the
 * `securitypolicyviolation` event, and Chromium's own console errors for what it blocked).
 */
export async function watchCspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.documentURI}`);
    });
  });
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && (text.startsWith('CSP violation') || text.includes('Content Security Policy'))) violations.push(text);
  });
  return violations;
}
