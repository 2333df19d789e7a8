import { describe, expect, it } from 'vitest';
import { Browser, type Page } from '../support/browser.ts';
import { completeCapture, giveUp } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { submitLogin } from '../support/rp.ts';

const idp = useTestIdp();

// Walks the console's sign-in with `username` over real HTTP: password, then the Gu1 capture approved by the sandbox.
async function signIn(browser: Browser, start: string, username = 'auditor'): Promise<Page> {
  const login = await browser.get(start);
  const stepup = await submitLogin(browser, login, username, username);
  return completeCapture(idp().issuer, browser, stepup, { outcome: 'approve', liveness: 0.97, match: 0.93 });
}

describe('the audit console without a session', () => {
  it.each(['/audit/console/events', '/audit/console/charts', '/audit/console/verifications/some-txn'])(
    '%s sends the person to sign in and back',
    async (path) => {
      const res = await fetch(`${idp().issuer}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`/audit/console/login?${new URLSearchParams({ return: path })}`);
    },
  );

  // Property: the console's data is never served without a signed-in auditor, whatever cookie is sent.
  it.each([
    ['no cookie', ''],
    ['a forged session cookie', 'audit_console=eyJzdWIiOiJhdWRpdG9yIn0'],
    ['a sign-in cookie in place of a session', 'audit_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('the JSON and export endpoints answer 401 with %s', async (_what, cookie) => {
    for (const path of [
      '/audit/console/stats.json',
      '/audit/console/verifications/x/evidence.json',
      '/audit/console/events/export?format=csv',
    ]) {
      const res = await fetch(`${idp().issuer}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'login_required' });
    }
  });

  it('refuses a callback that no sign-in of this browser started', async () => {
    const res = await fetch(`${idp().issuer}/audit/console/callback?code=x&state=y`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('data-refusal="expired"');
  });
});

describe('signing in to the audit console', () => {
  // Property: after sign-in the console only ever returns to one of its own pages (no open redirect).
  it.each([
    'https://evil.example/',
    '//evil.example/audit/console',
    '/demo',
    '/audit/console/../../demo',
    '/audit/console/%2e%2e/%2E%2E/demo',
    '/\\evil.example/',
  ])('returns to the events page when asked to return to %s', async (target) => {
    const browser = new Browser(idp().issuer);
    const page = await signIn(browser, `/audit/console/login?${new URLSearchParams({ return: target })}`);
    expect(new URL(page.url).pathname).toBe('/audit/console/events');
    expect(page.status).toBe(200);
  });

  it('returns to the page that sent the auditor to sign in', async () => {
    const browser = new Browser(idp().issuer);
    const page = await signIn(browser, '/audit/console/charts?from=2026-01-01T00:00:00Z');
    expect(`${new URL(page.url).pathname}${new URL(page.url).search}`).toBe('/audit/console/charts?from=2026-01-01T00:00:00Z');
    expect(page.body).toContain('Signed in as <strong>auditor</strong>');
  });

  // Property: the auditor role is checked on every request, so withdrawing it closes an open session at once.
  it('closes the session of an account whose auditor role is withdrawn', async () => {
    await idp().accounts.add({ username: 'temp-auditor', password: 'temp-auditor', roles: ['auditor'] });
    const account = (await idp().accounts.findByUsername('temp-auditor'))!;
    await idp().accounts.link(account.id, 'gu1', 'b0d170a5-0c0e-4b1e-9a6f-3c2d1e0f9a8b');
    const browser = new Browser(idp().issuer);
    const page = await signIn(browser, '/audit/console/events', 'temp-auditor');
    expect(page.status).toBe(200);
    await idp().db.knex('account_roles').where({ account_id: account.id }).delete();
    const after = await browser.get('/audit/console/events');
    expect(after.status).toBe(403);
    expect(after.body).toContain('data-refusal="role"');
    expect((await browser.json('/audit/console/stats.json')).status).toBe(401);
  });

  it('refuses a bad filter on the events page with the reason, and shows no events', async () => {
    const browser = new Browser(idp().issuer);
    await signIn(browser, '/audit/console/events');
    const page = await browser.get('/audit/console/events?from=yesterday');
    expect(page.status).toBe(400);
    expect(page.body).toContain('from: expected an ISO 8601 date-time');
    expect(page.body).not.toContain('id="events"');
  });
});

describe('a sign-in whose face step-up is not fresh for the console', () => {
  // The IdP's step-up clock runs 20 minutes behind the console's: the face level (maxAge 15m) it grants is stale here.
  const behind = useTestIdp({ now: () => new Date(Date.now() - 20 * 60_000) });

  // Property: the console opens only on a face verification within the level's freshness, whatever the IdP answered.
  it('is refused with the face verification page, and no session', async () => {
    const browser = new Browser(behind().issuer);
    const login = await browser.get('/audit/console/events');
    const stepup = await submitLogin(browser, login, 'auditor', 'auditor');
    const page = await completeCapture(behind().issuer, browser, stepup, { outcome: 'approve', liveness: 0.97, match: 0.93 });
    expect(page.status).toBe(403);
    expect(page.body).toContain('data-refusal="level"');
    expect((await browser.json('/audit/console/stats.json')).status).toBe(401);
  });
});

describe('a person enrolled at no vendor', () => {
  it('is refused with the reason the IdP gave', async () => {
    const browser = new Browser(idp().issuer);
    const login = await browser.get('/audit/console/events');
    let page = await submitLogin(browser, login, 'bob', 'bob');
    if (!new URL(page.url).pathname.startsWith('/audit/console/')) page = await giveUp(browser, page);
    expect(page.status).toBe(403);
    expect(page.body).toContain('data-refusal="failed"');
    expect(page.body).toMatch(/\((access_denied|unmet_authentication_requirements)\)/);
  });
});
