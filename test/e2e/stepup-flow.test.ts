import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { useTestIdp } from '../support/idp.ts';
import { completeCapture, control, expectRetryPage, giveUp, passwordLogin } from '../support/flows.ts';
import { callbackError, passConsent, REDIRECT_URI, sandboxSessionId, submitAutoPost, submitLogin, TestRp } from '../support/rp.ts';

const PASSWORD = 'urn:stepup:acr:password';
const FACE = 'urn:stepup:acr:face';

const idp = useTestIdp();

describe('biometric step-up through the bundled IdP', () => {
  it('elevates a password session to the face level with acr, amr, auth_time and txn in every token', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const first = await passwordLogin(rp, browser);
    const firstClaims = first.claims()!;
    expect(firstClaims.acr).toBe(PASSWORD);
    expect(firstClaims.amr).toEqual(['pwd']);

    await new Promise((r) => setTimeout(r, 1100)); // auth_time has one-second resolution
    let page = await browser.get(
      await rp.authorizationUrl({ acr_values: FACE, scope: 'openid payments:read', resource: `${idp().issuer}/demo/api` }),
    );
    expect(page.url).toMatch(/\/interaction\/[^/]+\/stepup$/);
    const headers = (await fetch(page.url)).headers;
    expect(headers.get('content-security-policy'), 'other sites cannot frame the sign-in pages').toMatch(
      /(^|; )frame-ancestors 'self'($|;)/,
    );
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    page = await passConsent(browser, page);
    expect(callbackError(page.leftTo), page.url + page.body.slice(0, 500)).toBeUndefined();
    expect(page.leftTo, page.url + page.body.slice(0, 500)).toBeDefined();
    const stepped = await rp.callback(page.leftTo!);
    const claims = stepped.claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(expect.arrayContaining(['face', 'pwd', 'mfa']));
    expect(claims.auth_time).toBeGreaterThan(firstClaims.auth_time!);
    expect(typeof claims.txn).toBe('string');

    const events = await idp().db.knex('ledger_events').where({ verification_id: claims.txn }).orderBy('seq').pluck('type');
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

  it('issues the tokens of a password session without a txn, and without looking one up', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const statements: string[] = [];
    const record = (q: { sql: string }) => statements.push(q.sql);
    idp().db.knex.on('query', record);
    try {
      // SSO: the password session answers a second request without an interaction.
      const page = await browser.get(await rp.authorizationUrl());
      const sso = await rp.callback(page.leftTo!);
      expect(sso.claims()).toMatchObject({ acr: PASSWORD, amr: ['pwd'] });
      expect(sso.claims()!.txn).toBeUndefined();
    } finally {
      idp().db.knex.off('query', record);
    }
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((sql) => sql.includes('session_levels'))).toEqual([]);
  });

  it('keeps the original authentication in tokens refreshed later (RFC 9068)', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE, scope: 'openid offline_access', prompt: 'consent' }));
    page = await passConsent(
      browser,
      await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 }),
    );
    const tokens = await rp.callback(page.leftTo!);
    const original = tokens.claims()!;
    expect(tokens.refresh_token).toBeDefined();
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ acr: FACE, auth_time: original.auth_time, txn: original.txn, amr: original.amr });
    const introspection = await rp.introspect(refreshed.access_token);
    expect(introspection).toMatchObject({ acr: FACE, auth_time: original.auth_time, txn: original.txn });
  });

  it('offers the capture again after a rejection, records the denial, and tells the RP only when the person gives up', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'reject' });
    expect(page.leftTo, 'the RP hears nothing while attempts are left').toBeUndefined();
    expectRetryPage(page, 4);
    expect(page.body, 'which check failed stays in the ledger').not.toContain('FACE_MATCH');
    page = await giveUp(browser, page);
    expect(callbackError(page.leftTo)).toEqual({
      error: 'unmet_authentication_requirements',
      description: 'the requested authentication could not be performed',
    });
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied' }).orderBy('seq', 'desc').first();
    expect(denied.data).toMatchObject({ state: 'rejected', reason: 'FACE_MATCH_SCORE_LOW' });
    expect(denied.data.amr).toBeUndefined();
  });

  it('answers unmet_authentication_requirements for an essential acr the policy does not offer', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:unknown'] } } });
    const page = await browser.get(await rp.authorizationUrl({ claims }));
    expect(callbackError(page.leftTo)?.error).toBe('unmet_authentication_requirements');
  });

  it('ignores unknown voluntary acr values', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: 'urn:example:unknown' }));
    expect(callbackError(page.leftTo)).toBeUndefined();
    expect((await rp.callback(page.leftTo!)).claims()!.acr).toBe(PASSWORD);
  });

  it('answers login_required to prompt=none when a step-up would be needed', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE, prompt: 'none' }));
    expect(callbackError(page.leftTo)?.error).toBe('login_required');
  });

  it('honours an essential acr from the claims parameter even when acr_values asks for less', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [FACE] } } });
    const page = await browser.get(await rp.authorizationUrl({ claims, acr_values: PASSWORD }));
    expect(page.url).toMatch(/\/stepup$/);
  });

  it("applies the client's default_acr_values when the request names no level", async () => {
    const rp = await TestRp.register(idp().issuer, { default_acr_values: [FACE] });
    const browser = new Browser(idp().issuer);
    let page = await browser.get(await rp.authorizationUrl());
    page = await submitLogin(browser, page, 'alice', 'alice');
    expect(page.url).toMatch(/\/stepup$/);
  });

  it('keeps the subject an id_token_hint names: nobody else can sign in on the re-authentication form', async () => {
    // Property: a request bound to one person by id_token_hint never ends signed in as another.
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const first = await passwordLogin(rp, browser);
    const login = await browser.get(await rp.authorizationUrl({ prompt: 'login', id_token_hint: first.id_token! }));
    expect(login.body).toMatch(/name="username"[^>]*value="alice"[^>]*readonly/);
    const refused = await submitLogin(browser, login, 'bob', 'bob');
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('Sign in as alice');
    const again = await submitLogin(browser, refused, 'alice', 'alice');
    expect((await rp.callback(again.leftTo!)).claims()!.sub).toBe('alice');
  });

  it('lets another person sign in on prompt=login, in a new session that keeps nothing of the first', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await submitLogin(browser, page, 'alice', 'alice');
    page = await passConsent(
      browser,
      await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 }),
    );
    expect((await rp.callback(page.leftTo!)).claims()!.acr).toBe(FACE);
    page = await browser.get(await rp.authorizationUrl({ prompt: 'login' }));
    expect(page.body, 'the form is open to anyone').not.toContain('readonly');
    page = await submitLogin(browser, page, 'bob', 'bob');
    page = await passConsent(browser, await submitAutoPost(browser, page)); // oidc-provider ends alice's session first
    const bob = (await rp.callback(page.leftTo!)).claims()!;
    expect(bob).toMatchObject({ sub: 'bob', acr: PASSWORD, amr: ['pwd'] });
    page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(callbackError(page.leftTo)?.error, "alice's face level does not carry over to bob").toBe('unmet_authentication_requirements');
  });

  it('runs password and biometric in one interaction when nobody is signed in', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await submitLogin(browser, page, 'alice', 'alice');
    expect(page.url).toMatch(/\/stepup$/);
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 });
    page = await passConsent(browser, page);
    const claims = (await rp.callback(page.leftTo!)).claims()!;
    expect(claims.acr).toBe(FACE);
    expect(claims.amr).toEqual(['pwd', 'face', 'mfa']);
  });

  it('lets a higher level satisfy a lower request without a new interaction', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await submitLogin(browser, page, 'alice', 'alice');
    page = await passConsent(
      browser,
      await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 }),
    );
    const face = (await rp.callback(page.leftTo!)).claims()!;
    page = await browser.get(await rp.authorizationUrl({ acr_values: PASSWORD }));
    expect(page.leftTo).toContain(REDIRECT_URI);
    const again = (await rp.callback(page.leftTo!)).claims()!;
    expect(again.acr, 'the value the RP asked for (OIDC Core 5.5.1)').toBe(PASSWORD);
    expect(again.amr).toEqual(face.amr);
    expect(again.auth_time).toBe(face.auth_time);
    page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(page.leftTo, 'a fresh face level needs no interaction').toContain(REDIRECT_URI);
  });

  it('denies an approval whose scores are under the policy thresholds', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.5, match: 0.93 });
    expectRetryPage(page);
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied' }).orderBy('seq', 'desc').first();
    expect(denied.data).toMatchObject({ state: 'rejected', reason: 'liveness_below_threshold' });
  });

  it('denies an approval for a vendor subject other than the enrolled one', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    page = await completeCapture(idp().issuer, browser, page, {
      outcome: 'approve',
      liveness: 0.99,
      match: 0.99,
      entityId: '9f1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
    });
    expectRetryPage(page);
    const denied = await idp().db.knex('ledger_events').where({ type: 'stepup.denied' }).orderBy('seq', 'desc').first();
    expect(denied.data).toMatchObject({ state: 'rejected', reason: 'subject_mismatch' });
    page = await giveUp(browser, page);
    expect(callbackError(page.leftTo)?.description, 'the RP does not learn which check failed').not.toContain('subject');
  });

  it('falls back to the next acceptable acr_values level the person can reach', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    let page = await browser.get(await rp.authorizationUrl({ acr_values: `${FACE} ${PASSWORD}` }));
    page = await passConsent(browser, await submitLogin(browser, page, 'bob', 'bob'));
    expect((await rp.callback(page.leftTo!)).claims()!.acr).toBe(PASSWORD);
  });

  it('answers unmet_authentication_requirements when the person is enrolled at no vendor of the level', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser, 'bob');
    const page = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    expect(callbackError(page.leftTo)?.error).toBe('unmet_authentication_requirements');
  });

  it('shows a waiting page while the vendor is processing and continues once it decides', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const stepup = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    const uid = /\/interaction\/([^/]+)\/stepup/.exec(stepup.url)![1];
    let page = await completeCapture(idp().issuer, browser, stepup, { outcome: 'processing' });
    expect(page.url).toMatch(/\/stepup\/return$/);
    expect(page.body).toContain('stepup-status');
    expect((await browser.json(`/interaction/${uid}/stepup/status`)).body).toMatchObject({ state: 'in_progress', final: false });
    await control(idp().issuer, sandboxSessionId(stepup), { outcome: 'approve', liveness: 0.99, match: 0.99 });
    expect((await browser.json(`/interaction/${uid}/stepup/status`)).body).toMatchObject({ state: 'approved', final: true });
    page = await browser.get(`/interaction/${uid}/stepup/return`);
    expect((await rp.callback(page.leftTo!)).claims()!.acr).toBe(FACE);
  });

  it('hands the vendor return inside the iframe over to the top window', async () => {
    const res = await fetch(`${idp().issuer}/interaction/some-uid/stepup/return`, { headers: { 'sec-fetch-dest': 'iframe' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('window.top.location.href = "/interaction/some-uid/stepup/return"');
  });

  it('starts the newer of two simultaneous step-ups and cancels the older one', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const [first, second] = await Promise.all([
      browser.get(await rp.authorizationUrl({ acr_values: FACE })),
      browser.get(await rp.authorizationUrl({ acr_values: FACE })),
    ]);
    // Both tabs show a capture; only one of them is still open at the vendor.
    const ids = [sandboxSessionId(first), sandboxSessionId(second)];
    const states = await idp().db.knex('verifications').whereIn('vendor_session_id', ids).pluck('state');
    expect(states.sort()).toEqual(['cancelled', 'pending']);
  });

  it('lets the person cancel the verification, ending it abandoned', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const stepup = await browser.get(await rp.authorizationUrl({ acr_values: FACE }));
    const uid = /\/interaction\/([^/]+)\/stepup/.exec(stepup.url)![1];
    const page = await browser.post(`/interaction/${uid}/stepup/cancel`, {});
    expect(callbackError(page.leftTo)?.error).toBe('access_denied');
    const verification = await idp().db.knex('verifications').where({ interaction_uid: uid }).first();
    expect(verification.state).toBe('abandoned');
  });
});

describe('password sign-in', () => {
  it('answers access_denied when the person cancels the sign-in', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const login = await browser.get(await rp.authorizationUrl());
    const abort = /action="(\/interaction\/[^"]+\/abort)"/.exec(login.body)![1]!;
    const page = await browser.post(abort, {});
    expect(callbackError(page.leftTo)).toEqual({ error: 'access_denied', description: 'the person cancelled the sign-in' });
  });

  it('refuses a wrong password, then locks the username after ten failures even for the right one', async () => {
    // Property: online guessing of one account's password is cut off after 10 failures per 15 minutes.
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const login = await browser.get(await rp.authorizationUrl());
    let page = await submitLogin(browser, login, 'bob', 'wrong');
    expect(page.status).toBe(401);
    expect(page.body).toContain('Invalid username or password.');
    for (let i = 1; i < 10; i++) page = await submitLogin(browser, page, 'bob', `wrong-${i}`);
    page = await submitLogin(browser, page, 'bob', 'bob');
    expect(page.status).toBe(429);
    expect(page.body).toContain('Too many failed sign-ins');
    page = await submitLogin(browser, page, 'alice', 'alice');
    expect(page.leftTo ?? page.body, 'other accounts are not affected').toMatch(/consent|callback/);
  });
});
