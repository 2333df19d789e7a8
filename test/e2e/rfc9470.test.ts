import { describe, expect, it } from 'vitest';
import { parseChallenges, stepUpChallenge } from '../../src/resource-server/www-authenticate.ts';
import { Browser } from '../support/browser.ts';
import { completeCapture } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { passConsent, submitLogin, TestRp } from '../support/rp.ts';

const idp = useTestIdp();

const callApi = (token?: string) =>
  fetch(`${idp().issuer}/demo/api/payments`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('RFC 9470 round trip with the demo API', () => {
  it('challenges a password-level token and accepts the token obtained with the challenged acr_values', async () => {
    const rp = await TestRp.register(idp().issuer);
    const browser = new Browser(idp().issuer);
    const api = { scope: 'openid payments:read', resource: `${idp().issuer}/demo/api` };
    let page = await browser.get(await rp.authorizationUrl(api));
    page = await passConsent(browser, await submitLogin(browser, page, 'alice', 'alice'));
    const weak = await rp.callback(page.leftTo!);

    const refused = await callApi(weak.access_token);
    expect(refused.status).toBe(401);
    const challenge = stepUpChallenge(parseChallenges(refused.headers.get('www-authenticate')));
    expect(challenge).toEqual({ scheme: 'bearer', acr_values: 'urn:stepup:acr:face', max_age: '900' });

    page = await browser.get(await rp.authorizationUrl({ ...api, acr_values: challenge!.acr_values!, max_age: challenge!.max_age! }));
    page = await completeCapture(idp().issuer, browser, page, { outcome: 'approve', liveness: 0.99, match: 0.99 });
    const strong = await rp.callback(page.leftTo!);
    const accepted = await callApi(strong.access_token);
    expect(accepted.status).toBe(200);
    const metrics = await (await fetch(`${idp().issuer}/metrics`)).text();
    expect(metrics).toMatch(/stepup_decisions_total\{acr="urn:stepup:acr:face",outcome="granted"\} 1/);
    expect(metrics).toMatch(/stepup_verification_transitions_total\{vendor="gu1",state="approved"\} 1/);
    expect(await accepted.json()).toMatchObject({ account: 'alice', authenticatedWith: { acr: 'urn:stepup:acr:face' } });
  });

  it('refuses missing, malformed and forged tokens with the standard challenges', async () => {
    const missing = await callApi();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const forged = await callApi('eyJhbGciOiJub25lIn0.eyJhY3IiOiJ1cm46c3RlcHVwOmFjcjpmYWNlIn0.');
    expect(forged.status).toBe(401);
    expect(parseChallenges(forged.headers.get('www-authenticate'))[0]).toMatchObject({
      scheme: 'bearer',
      parameters: { error: 'invalid_token' },
    });
    const malformed = await fetch(`${idp().issuer}/demo/api/payments`, { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(400);
  });

  it('serves the demo relying party and discovery', async () => {
    const demo = await fetch(`${idp().issuer}/demo`);
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain('Demo relying party');
    const discovery = (await (await fetch(`${idp().issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.acr_values_supported).toEqual([
      'urn:stepup:acr:password',
      'urn:stepup:acr:face',
      'http://idmanagement.gov/ns/assurance/aal/2',
    ]);
    expect(discovery.claims_parameter_supported).toBe(true);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${idp().issuer}${path}`)).status).toBe(200);
  });
});
