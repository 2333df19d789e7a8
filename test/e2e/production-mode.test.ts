import { describe, expect, it } from 'vitest';
import { useTestIdp } from '../support/idp.ts';
import { defaultPolicyEnv } from '../support/policy-env.ts';

// STEPUP_SANDBOX=0: real vendor secrets come from the environment; nothing meant for trying it out is exposed.
Object.assign(process.env, defaultPolicyEnv());
const idp = useTestIdp({ sandbox: false });

describe('with the sandbox off', () => {
  it('has no demo accounts, demo pages, emulators or open registration', async () => {
    // Property: a production IdP never accepts the demo passwords nor lets anyone register clients.
    expect(await idp().accounts.authenticate('alice', 'alice')).toBeUndefined();
    for (const path of [
      '/demo',
      '/demo/api/payments',
      '/sandbox/gu1/session/x',
      '/sandbox/globalpass/stage/global-pass-screening-widget.latest.js',
      '/sandbox/passbase/button',
    ]) {
      expect((await fetch(`${idp().issuer}${path}`)).status, path).toBe(404);
    }
    const registration = await fetch(`${idp().issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"redirect_uris":["https://rp.example/cb"]}',
    });
    expect(registration.status).toBe(404);
    const discovery = (await (await fetch(`${idp().issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.registration_endpoint).toBeUndefined();
    expect(discovery.acr_values_supported).toContain('urn:stepup:acr:face');
  });
});
