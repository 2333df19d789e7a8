import { expect } from 'vitest';
import type { Browser, Page } from './browser.ts';
import { passConsent, REDIRECT_URI, sandboxSessionId, submitLogin, type TestRp } from './rp.ts';

/** Tells the Gu1 sandbox how the person's capture ends (DESIGN §9 control endpoint). */
export async function control(issuer: string, vendorSessionId: string, body: Record<string, unknown>) {
  const res = await fetch(`${issuer}/sandbox/gu1/control/${vendorSessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

/** Signs alice (or another person) in with a password only, returning the RP's tokens. */
export async function passwordLogin(rp: TestRp, browser: Browser, username = 'alice') {
  let page = await browser.get(await rp.authorizationUrl());
  page = await submitLogin(browser, page, username, username);
  page = await passConsent(browser, page);
  expect(page.leftTo, page.body.slice(0, 300)).toContain(REDIRECT_URI);
  return rp.callback(page.leftTo!);
}

/** Completes the Gu1 capture shown on `page` with `outcome` and returns where the browser ends up. */
export async function completeCapture(issuer: string, browser: Browser, page: Page, outcome: Record<string, unknown>): Promise<Page> {
  const id = sandboxSessionId(page);
  await control(issuer, id, outcome);
  const uid = /\/interaction\/([^/]+)\/stepup/.exec(page.url)![1];
  return browser.get(`/interaction/${uid}/stepup/return`);
}

