import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Browser, type Page } from '../support/browser.ts';
import { passwordLogin, stepUpAfterPassword } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { TestRp } from '../support/rp.ts';

// Property: every answer of the IdP carries nosniff, and every HTML page a CSP under which only scripts of
// this origin, of the policy's vendors or carrying that response's nonce run, and that no other site may frame.

const FACE = 'urn:stepup:acr:face';
const idp = useTestIdp();

/** The CSP of a response as directive → sources. */
function csp(headers: Headers): Map<string, string[]> {
  const value = headers.get('content-security-policy') ?? '';
  return new Map(
    value
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

/** Asserts the headers of one of our HTML pages and that every script element in it carries the response's nonce. */
function expectPageHeaders(page: Page, referrerPolicy: 'no-referrer' | 'strict-origin-when-cross-origin') {
  const headers = page.headers!;
  expect(headers.get('content-type'), page.url).toMatch(/^text\/html/);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe(referrerPolicy);
  expect(headers.get('strict-transport-security'), 'no HSTS on an http issuer').toBeNull();
  const policy = csp(headers);
  const scriptSrc = policy.get('script-src')!;
  const nonce = scriptSrc.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
  expect(nonce, headers.get('content-security-policy')!).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  expect(scriptSrc).not.toContain("'unsafe-eval'");
  // Interaction pages: the vendor's hosted page in the step-up page's frame returns to one of them.
  expect(policy.get('frame-ancestors')).toEqual(referrerPolicy === 'no-referrer' ? ["'self'"] : ["'none'"]);
  expect(headers.get('x-frame-options')).toBe(referrerPolicy === 'no-referrer' ? 'SAMEORIGIN' : 'DENY');
  expect(policy.get('object-src')).toEqual(["'none'"]);
  expect(policy.get('base-uri')).toEqual(["'none'"]);
  // Data blocks (type=application/json) never run; every other script element must carry the nonce.
  const scripts = [...page.body.matchAll(/<script\b([^>]*)>/g)]
    .map((m) => m[1]!)
    .filter((attrs) => !attrs.includes('type="application/json"'));
  for (const attrs of scripts) expect(attrs, page.url).toContain(`nonce="${nonce}"`);
  return { policy, scripts };
}

function expectNotAPage(res: Response) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
}

describe('security headers on every page type', () => {
  it('the password form (interaction page): no Referer, and a nonce for its scripts', async () => {
    const rp = await TestRp.register(idp().issuer);
    const page = await new Browser(idp().issuer).get(await rp.authorizationUrl());
    expect(page.url).toMatch(/\/interaction\/[^/]+$/);
    expect(page.body).toContain('id="password"');
    expectPageHeaders(page, 'no-referrer');
  });

  it('the step-up page with an iframe (Gu1) and with a widget (Passbase): every script has the nonce, a fresh one per response', async () => {
    const { browser, page } = await stepUpAfterPassword(idp().issuer, FACE);
    expect(page.url).toMatch(/\/stepup$/);
    const framed = expectPageHeaders(page, 'no-referrer');
    expect(framed.scripts.length).toBeGreaterThan(0);
    expect(page.body).toContain('<iframe');
    const widget = await browser.get(`${page.url}?vendor=passbase`);
    const withWidget = expectPageHeaders(widget, 'no-referrer');
    // The vendor's script, the glue that starts it and the page's own status script.
    expect(withWidget.scripts.length).toBeGreaterThanOrEqual(3);
    expect(withWidget.policy.get('script-src')).not.toEqual(framed.policy.get('script-src'));
  });

  it('the error pages: an unknown interaction, and oidc-provider’s renderError', async () => {
    const unknown = await new Browser(idp().issuer).get('/interaction/no-such-interaction');
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expectPageHeaders(unknown, 'no-referrer');
    const authError = await new Browser(idp().issuer).get(
      '/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fx.example%2Fcb',
    );
    expect(authError.status).toBe(400);
    expect(authError.body).toContain('invalid_client');
    expectPageHeaders(authError, 'strict-origin-when-cross-origin');
  });

  it('oidc-provider’s form_post page: its inline script runs by the hash the provider adds to our CSP', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    await passwordLogin(rp, browser);
    const page = await browser.get(await rp.authorizationUrl({ response_mode: 'form_post' }));
    expect(page.body).toContain('<form method="post" action="http://rp.example.test/callback">');
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)![1]!;
    expect(csp(page.headers!).get('script-src')).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(page.headers!.get('x-content-type-options')).toBe('nosniff');
  });

  it('the demo RP page', async () => {
    const page = await new Browser(idp().issuer).get('/demo');
    expect(page.status).toBe(200);
    expectPageHeaders(page, 'strict-origin-when-cross-origin');
  });

  it('a sandbox hosted page keeps the policy a vendor page sets, which the step-up page may frame', async () => {
    const { page } = await stepUpAfterPassword(idp().issuer, FACE);
    const frameUrl = /<iframe src="([^"]+)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
    const hosted = await new Browser(idp().issuer).get(frameUrl);
    expect(hosted.status).toBe(200);
    expect(hosted.headers!.get('x-content-type-options')).toBe('nosniff');
    expect(csp(hosted.headers!).get('frame-ancestors')).toBeDefined();
    expect(hosted.headers!.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('JSON and other non-page answers, errors included: nosniff and a policy that runs nothing', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/audit/jwks.json', '/healthz']) {
      const res = await fetch(`${idp().issuer}${path}`);
      expect(res.status, path).toBeLessThan(500);
      expectNotAPage(res);
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    }
    const tooLarge = await fetch(`${idp().issuer}/stepup/webhooks/gu1`, { method: 'POST', body: 'x'.repeat(300 * 1024) });
    expect(tooLarge.status).toBe(413);
    expectNotAPage(tooLarge);
  });
});
