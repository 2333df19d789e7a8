import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      ],
    });
  });
  afterAll(async () => {
    await apache?.stop();
  });

  /** What one visit to a protected location did: the claims the backend was passed and the authorization requests made. */
  interface Visit {
    claims?: Record<string, string>;
    authorizations: string[];
    /** The page the visit ended on when the backend was not reached. */
    text?: string;
  }

  /**
   * Opens `path` on Apache in `page` and plays the IdP's pages as `person` would (password form, consent,
   * the Gu1 capture) until Apache answers. A visit that keeps re-authorizing is stopped after a few rounds.
   */
  async function visit(page: Page, path: string, person: { username?: string; approveFace?: boolean } = {}): Promise<Visit> {
    const issuer = new URL(idp().issuer);
    const authorizations: string[] = [];
    const onRequest = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.origin === issuer.origin && url.pathname === '/auth') authorizations.push(url.searchParams.get('acr_values') ?? '');
    };
    page.on('request', onRequest);
    try {
      await page.goto(`${apache.origin}${path}`);
      const login = page.locator('#username');
      const consent = page.locator('form[action$="/consent"] button');
      const capture = page.locator('iframe');
      const backend = page.locator(CLAIMS_SELECTOR);
      const apacheError = page.locator('body', { hasText: 'OpenID Connect Provider error' });
      for (;;) {
        if (authorizations.length >= 5) return { authorizations };
        await login.or(consent).or(capture).or(backend).or(apacheError).first().waitFor({ timeout: 15_000 });
        if (await backend.isVisible()) return { authorizations, claims: JSON.parse((await backend.textContent())!) };
        if (await apacheError.isVisible()) return { authorizations, text: (await page.textContent('body'))! };
        // Each step ends when the page it acted on is gone (the IdP moved on or sent the browser back to Apache).
        if (await login.isVisible()) {
          if (!person.username) throw new Error(`the IdP asked for a password during ${path}`);
          await login.fill(person.username);
          await page.fill('#password', person.username);
          await page.click('form[action$="/login"] button[type=submit]');
          await login.waitFor({ state: 'detached', timeout: 15_000 });
        } else if (await consent.isVisible()) {
          await consent.click();
          await consent.waitFor({ state: 'detached', timeout: 15_000 });
        } else {
          if (!person.approveFace) throw new Error(`the IdP showed a face capture during ${path}`);
          await page.frameLocator('iframe').locator('button[name=outcome][value=approve]').click();
          await capture.waitFor({ state: 'detached', timeout: 15_000 });
        }
      }
    } catch (error) {
      // A redirect loop navigates under the driver's feet: report it as the loop it is.
      if (authorizations.length > 1) return { authorizations };
      throw error;
    } finally {
      page.off('request', onRequest);
    }
  }

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser().newContext();
    return { context, page: await context.newPage() };
  }

  /** The acr in the ID token mod_auth_openidc keeps for the session (its info hook), to explain a loop. */
  async function moduleAcr(context: BrowserContext): Promise<string> {
    const res = await context.request.get(`${apache.redirectUri}?info=json`);
    return res.ok() ? String((await res.json()).id_token?.acr) : `(no session: ${res.status()})`;
  }

  async function expectOneAuthorization(context: BrowserContext, path: string, v: Visit, acr: string) {
    expect(v.authorizations.length, `authorization requests for one visit to ${path} (acr_values ${v.authorizations.join(', ')}; the module's session holds acr=${await moduleAcr(context)})`).toBeLessThanOrEqual(1);
    expect(v.claims?.acr, v.text).toBe(acr);
  }

  it('signs alice in at the password level for /app with one authorization request', async () => {
    const { context, page } = await newPage();
    const v = await visit(page, '/app', { username: 'alice' });
    await expectOneAuthorization(context, '/app', v, PASSWORD);
    expect(v.authorizations).toEqual([PASSWORD]);
    expect(v.claims?.sub).toBe('alice');
    await context.close();
  });

  it('steps a password session up to face for /app/payments through the Gu1 capture', async () => {
    const { context, page } = await newPage();
    await visit(page, '/app', { username: 'alice' });
    const v = await visit(page, '/app/payments', { approveFace: true });
    await expectOneAuthorization(context, '/app/payments', v, FACE);
    expect(v.authorizations).toEqual([FACE]);
    // mod_auth_openidc joins array claims with commas.
    expect(v.claims?.amr?.split(',')).toContain('face');
    await context.close();
  });

  it('asks a person with no session for the password and then the face in one authorization request for /app/payments', async () => {
    const { context, page } = await newPage();
    const v = await visit(page, '/app/payments', { username: 'alice', approveFace: true });
    await expectOneAuthorization(context, '/app/payments', v, FACE);
    await context.close();
  });

  it('passes the advertised alias for /app/gov, as asked, after one authorization request', async () => {
    const { context, page } = await newPage();
    await visit(page, '/app/payments', { username: 'alice', approveFace: true });
    const v = await visit(page, '/app/gov');
    await expectOneAuthorization(context, '/app/gov', v, AAL2);
    expect(v.authorizations).toEqual([AAL2]);
    await context.close();
  });

  it('passes the password level for /app, as asked, to a session holding face after one authorization request', async () => {
    const { context, page } = await newPage();
    await visit(page, '/app/payments', { username: 'alice', approveFace: true });
    const v = await visit(page, '/app');
    await expectOneAuthorization(context, '/app', v, PASSWORD);
    await context.close();
  });

  it("shows bob, enrolled at no vendor, unmet_authentication_requirements on Apache's error page for /app/payments", async () => {
    const { context, page } = await newPage();
    const v = await visit(page, '/app/payments', { username: 'bob' });
    expect(v.authorizations).toEqual([FACE]);
    expect(v.claims).toBeUndefined();
    expect(v.text).toContain('unmet_authentication_requirements');
    await context.close();
  });
});
