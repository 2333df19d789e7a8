import { expect } from 'vitest';
import { Browser, type Page } from './browser.ts';
import { callbackError, passConsent, REDIRECT_URI, sandboxSessionId, submitLogin, TestRp } from './rp.ts';

/** POSTs `body` to a sandbox's control endpoint on the IdP (`/sandbox/<vendor>/control/<target>`), which must answer 200. */
export async function sandboxControl(issuer: string, vendor: string, target: string, body: unknown): Promise<Response> {
  const res = await fetch(`${issuer}/sandbox/${vendor}/control/${target}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}

/** Tells the Gu1 sandbox how the person's capture ends (DESIGN §9 control endpoint). */
export async function control(issuer: string, vendorSessionId: string, body: Record<string, unknown>) {
  await sandboxControl(issuer, 'gu1', vendorSessionId, body);
}

/** Signs alice (or another person) in with a password only, returning the RP's tokens. */
export async function passwordLogin(rp: TestRp, browser: Browser, username = 'alice') {
  let page = await browser.get(await rp.authorizationUrl());
  page = await submitLogin(browser, page, username, username);
  page = await passConsent(browser, page);
  expect(page.leftTo, page.body.slice(0, 300)).toContain(REDIRECT_URI);
  return rp.callback(page.leftTo!);
}

/** A new RP and browser sign alice in with her password, then ask for `acr`: the page the browser lands on. */
export async function stepUpAfterPassword(issuer: string, acr: string): Promise<{ rp: TestRp; browser: Browser; page: Page }> {
  const rp = await TestRp.register(issuer);
  const browser = new Browser(issuer);
  await passwordLogin(rp, browser);
  const page = await browser.get(await rp.authorizationUrl({ acr_values: acr }));
  return { rp, browser, page };
}

/** The interaction uid of a step-up page (or any page below it). */
export function interactionUid(page: Page): string {
  return /\/interaction\/([^/]+)\/stepup/.exec(page.url)![1]!;
}

/** Completes the Gu1 capture shown on `page` with `outcome` and returns where the browser ends up. */
export async function completeCapture(issuer: string, browser: Browser, page: Page, outcome: Record<string, unknown>): Promise<Page> {
  const id = sandboxSessionId(page);
  await control(issuer, id, outcome);
  return browser.get(`${new URL(page.url).pathname.replace(/\/stepup(\/.*)?$/, '')}/stepup/return`);
}

/** Asserts that `page` offers the capture again after a failed one, and returns its "try again" path. */
export function expectRetryPage(page: Page, attemptsLeft?: number): string {
  expect(page.body, page.url + page.body.slice(0, 300)).toContain('Verification not completed');
  if (attemptsLeft !== undefined) expect(page.body).toContain(`${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left`);
  return /href="([^"]*\/stepup\?again=1)"/.exec(page.body)![1]!;
}

/** Presses "cancel" on a step-up or retry page: the RP then hears how the interaction ended. */
export function giveUp(browser: Browser, page: Page): Promise<Page> {
  const action = /action="([^"]*\/stepup\/cancel)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no cancel form at ${page.url}: ${page.body.slice(0, 300)}`);
  return browser.post(action, {});
}

/** After a capture that did not succeed: the retry page is shown, the person cancels, and the RP's error comes back. */
export async function giveUpAfterFailure(browser: Browser, page: Page) {
  expectRetryPage(page);
  return callbackError((await giveUp(browser, page)).leftTo);
}
