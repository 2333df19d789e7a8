import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apacheMissing, CLAIMS_SELECTOR, startApacheRp, type ApacheRp } from '../support/apache.ts';
import { CHROMIUM_AVAILABLE, useChromiumAndIdp } from '../support/chromium.ts';

const PASSWORD = 'urn:stepup:acr:password';
const FACE = 'urn:stepup:acr:face';
const AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';

const missing = apacheMissing();
if (missing && process.env.CI) throw new Error(`${missing}: CI must install Apache for the mod_auth_openidc interop test`);
if (missing) console.warn(`skipping the Apache mod_auth_openidc interop test: ${missing}`);

// A relying party this project did not write: Apache httpd with mod_auth_openidc 2.4, configured the way its
// documentation describes step-up (Require claim acr:… with OIDCUnAutzAction auth), driven by Chromium.
describe.skipIf(!!missing || !CHROMIUM_AVAILABLE)('Apache mod_auth_openidc as a relying party', () => {
  const { idp, browser } = useChromiumAndIdp();
  let apache: ApacheRp;
  beforeAll(async () => {
    apache = await startApacheRp({
      issuer: idp().issuer,
      locations: [
        { path: '/app', acr: PASSWORD },
        { path: '/app/payments', acr: FACE },
        { path: '/app/gov', acr: AAL2 },
        { path: '/app/essential', acr: PASSWORD, essential: true },
      ],
    });
  });
  afterAll(async () => {
    await apache?.stop();
  });

  /** What one visit to a protected location did: the claims the backend was passed and the authorization requests made. */
  interface Visit {
    /** What each authorization request the browser sent to the IdP asked for (its acr_values, else its claims). */
    authorizations: string[];
    claims?: Record<string, string>;
    /** mod_auth_openidc's error page, when the visit ended there. */
    error?: string;
  }

  // Enough rounds to call it a loop; the browser is then stopped.
  const LOOP = 5;

  /**
   * Opens `path` on Apache in `page` and plays the IdP's pages as `person` would (password form, consent,
   * the Gu1 capture) until the backend answers or mod_auth_openidc shows an error.
   */
  async function visit(page: Page, path: string, person: { username?: string; approveFace?: boolean } = {}): Promise<Visit> {
    const issuer = new URL(idp().issuer).origin;
    const authorizations: string[] = [];
    let looping!: () => void;
    const loop = new Promise<'loop'>((resolve) => {
      looping = () => resolve('loop');
    });
    const onRequest = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.origin !== issuer || url.pathname !== '/auth') return;
      authorizations.push(url.searchParams.get('acr_values') ?? url.searchParams.get('claims') ?? '');
      if (authorizations.length >= LOOP) looping();
    };
    const orLoop = <T>(step: Promise<T>) => Promise.race([step, loop]);
    page.on('request', onRequest);
    try {
      const login = page.locator('#username');
      const consent = page.locator('form[action$="/consent"] button');
      const capture = page.locator('iframe');
      const backend = page.locator(CLAIMS_SELECTOR);
      // mod_auth_openidc's built-in error page: <p>Error: <pre>…</pre></p><p>Description: …
      const moduleError = page.locator('p', { hasText: /^Error:/ });
      if ((await orLoop(page.goto(`${apache.origin}${path}`))) === 'loop') return stopped(page, authorizations);
      for (;;) {
        const shown = await orLoop(login.or(consent).or(capture).or(backend).or(moduleError).first().waitFor({ timeout: 15_000 }));
        if (shown === 'loop') return stopped(page, authorizations);
        if (await backend.isVisible()) return { authorizations, claims: JSON.parse((await backend.textContent())!) };
        if (await moduleError.isVisible()) return { authorizations, error: (await page.textContent('body'))!.trim() };
        // Each step ends when the page it acted on is gone (the IdP moved on or sent the browser back to Apache).
        let step: Promise<void>;
        if (await login.isVisible()) {
          if (!person.username) throw new Error(`the IdP asked for a password during ${path}`);
          await login.fill(person.username);
          await page.fill('#password', person.username);
          await page.click('form[action$="/login"] button[type=submit]');
          step = login.waitFor({ state: 'detached', timeout: 15_000 });
        } else if (await consent.isVisible()) {
          await consent.click();
          step = consent.waitFor({ state: 'detached', timeout: 15_000 });
        } else {
          if (!person.approveFace) throw new Error(`the IdP showed a face capture during ${path}`);
          await page.frameLocator('iframe').locator('button[name=outcome][value=approve]').click();
          step = capture.waitFor({ state: 'detached', timeout: 15_000 });
        }
        if ((await orLoop(step)) === 'loop') return stopped(page, authorizations);
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await apacheErrors()}`, { cause: error });
    } finally {
      page.off('request', onRequest);
    }
  }

  /** The module says why it refused a response only in its log. */
  async function apacheErrors(): Promise<string> {
    const lines = (await apache.errorLog()).split('\n').filter((line) => line.includes(':error]'));
    return `Apache's last errors:\n${lines.slice(-5).join('\n') || '(none)'}`;
  }

  async function stopped(page: Page, authorizations: string[]): Promise<Visit> {
    await page.goto('about:blank');
    return { authorizations };
  }

  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  /** A fresh browser profile (no IdP session, no Apache session), closed after the test. */
  async function freshBrowser(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser().newContext();
    contexts.push(context);
    return { context, page: await context.newPage() };
  }

  /** The acr of the ID token mod_auth_openidc keeps for the session (its info hook), to explain a loop. */
  async function moduleAcr(context: BrowserContext): Promise<string> {
    const res = await context.request.get(`${apache.redirectUri}?info=json`);
    return res.ok() ? String((await res.json()).id_token?.acr) : `none (info hook answered ${res.status()})`;
  }

  /** The visit reached the backend after at most one authorization request, with the acr the location asked for. */
  async function expectOneAuthorization(context: BrowserContext, path: string, v: Visit, acr: string) {
    const asked = [...new Set(v.authorizations)].join(' | ');
    const why = `${v.authorizations.length} authorization requests for one visit to ${path} (asking for ${asked}); mod_auth_openidc's session holds acr=${await moduleAcr(context)}`;
    expect(v.authorizations.length, why).toBeLessThanOrEqual(1);
    expect(v.claims?.acr, v.error && `${v.error}\n${await apacheErrors()}`).toBe(acr);
  }

  /** Alice opens /app/payments in a fresh browser: password, then face, then the backend. */
  async function aliceWithFace(context: BrowserContext, page: Page) {
    const v = await visit(page, '/app/payments', { username: 'alice', approveFace: true });
    await expectOneAuthorization(context, '/app/payments', v, FACE);
  }

  it('signs alice in at the password level for /app with one authorization request', async () => {
    const { context, page } = await freshBrowser();
    const v = await visit(page, '/app', { username: 'alice' });
    await expectOneAuthorization(context, '/app', v, PASSWORD);
    expect(v.authorizations).toEqual([PASSWORD]);
    expect(v.claims?.sub).toBe('alice');
  });

  it('steps a password session up to face for /app/payments through the Gu1 capture', async () => {
    const { context, page } = await freshBrowser();
    await expectOneAuthorization(context, '/app', await visit(page, '/app', { username: 'alice' }), PASSWORD);
    const v = await visit(page, '/app/payments', { approveFace: true });
    await expectOneAuthorization(context, '/app/payments', v, FACE);
    expect(v.authorizations).toEqual([FACE]);
    // mod_auth_openidc joins array claims with commas.
    expect(v.claims?.amr?.split(',')).toContain('face');
  });

  it('asks a person with no session for the password and then the face in one authorization request for /app/payments', async () => {
    const { context, page } = await freshBrowser();
    await aliceWithFace(context, page);
  });

  it('passes the advertised alias for /app/gov, as asked, after one authorization request', async () => {
    const { context, page } = await freshBrowser();
    await aliceWithFace(context, page);
    const v = await visit(page, '/app/gov');
    await expectOneAuthorization(context, '/app/gov', v, AAL2);
    expect(v.authorizations).toEqual([AAL2]);
  });

  it('passes the password level for /app, as asked, to a session holding face after one authorization request', async () => {
    const { context, page } = await freshBrowser();
    await aliceWithFace(context, page);
    const v = await visit(page, '/app');
    await expectOneAuthorization(context, '/app', v, PASSWORD);
  });

  it('passes the password level for /app/essential, asked as an essential claims value, to a session holding face', async () => {
    const { context, page } = await freshBrowser();
    await aliceWithFace(context, page);
    const v = await visit(page, '/app/essential');
    await expectOneAuthorization(context, '/app/essential', v, PASSWORD);
  });

  it("shows bob, enrolled at no vendor, unmet_authentication_requirements on Apache's error page for /app/payments", async () => {
    const { page } = await freshBrowser();
    const v = await visit(page, '/app/payments', { username: 'bob' });
    expect(v.authorizations).toEqual([FACE]);
    expect(v.claims).toBeUndefined();
    expect(v.error).toContain('unmet_authentication_requirements');
  });
});
