import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { Browser, type Page } from '../support/browser.ts';
import { startTestIdp } from '../support/idp.ts';
import { callbackError, passConsent, REDIRECT_URI, sandboxSessionId, submitLogin, TestRp } from '../support/rp.ts';

const PASSWORD = 'urn:stepup:acr:password';
const FACE = 'urn:stepup:acr:face';

let idp: RunningIdp;
beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.close();
});

async function control(vendorSessionId: string, body: Record<string, unknown>) {
  const res = await fetch(`${idp.issuer}/sandbox/gu1/control/${vendorSessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

/** Signs alice (or another person) in with a password only, returning the RP's tokens. */
async function passwordLogin(rp: TestRp, browser: Browser, username = 'alice') {
  let page = await browser.get(await rp.authorizationUrl());
  page = await submitLogin(browser, page, username, username);
  page = await passConsent(browser, page);
  expect(page.leftTo, page.body.slice(0, 300)).toContain(REDIRECT_URI);
  return rp.callback(page.leftTo!);
}

/** Completes the Gu1 capture shown on `page` with `outcome` and returns where the browser ends up. */
async function completeCapture(browser: Browser, page: Page, outcome: Record<string, unknown>): Promise<Page> {
  const id = sandboxSessionId(page);
  await control(id, outcome);
  const uid = /\/interaction\/([^/]+)\/stepup/.exec(page.url)![1];
  return browser.get(`/interaction/${uid}/stepup/return`);
}

describe('biometric step-up through the bundled IdP', () => {
  it('elevates a password session to the face level with acr, amr, auth_time and txn in every token', async () => {
    const rp = await TestRp.register(idp.issuer);
    const browser = new Browser(idp.issuer);
    const first = await passwordLogin(rp, browser);
    const firstClaims = first.claims()!;
    expect(firstClaims.acr).toBe(PASSWORD);
    expect(firstClaims.amr).toEqual(['pwd']);

    await new Promise((r) => setTimeout(r, 1100)); // auth_time has one-second resolution
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE, scope: 'openid payments:read', resource: `${idp.issuer}/demo/api` }));
    expect(page.url).toMatch(/\/interaction\/[^/]+\/stepup$/);
    page = await completeCapture(browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    page = await passConsent(browser, page);
    expect(callbackError(page.leftTo), page.url + page.body.slice(0, 500)).toBeUndefined();
    expect(page.leftTo, page.url + page.body.slice(0, 500)).toBeDefined();
    const stepped = await rp.callback(page.leftTo!);
    const claims = stepped.claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(expect.arrayContaining(['face', 'pwd', 'mfa']));
    expect(claims.auth_time).toBeGreaterThan(firstClaims.auth_time!);
    expect(typeof claims.txn).toBe('string');

    const events = await idp.db.knex('ledger_events').where({ verification_id: claims.txn }).orderBy('seq').pluck('type');
    expect(events).toContain('stepup.granted');
    expect(events[0]).toBe('verification.started');

    const at = decodeJwt(stepped.access_token);
    expect(at).toMatchObject({ acr: FACE, auth_time: claims.auth_time, txn: claims.txn });
    expect(at.amr).toEqual(claims.amr);
    // Opaque tokens (no resource) are described by introspection; the session is fresh, so no interaction.
    page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    const opaque = await rp.callback(page.leftTo!);
    expect(opaque.claims()!.txn).toBe(claims.txn);
    const introspection = await rp.introspect(opaque.access_token);
    expect(introspection).toMatchObject({ active: true, acr: FACE, auth_time: claims.auth_time, txn: claims.txn });
  });
});
