import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/load.ts';
import { buildVendorAdapters } from '../../src/verification/vendor-adapters.ts';
import type { BaseUrlResolver } from '../../src/vendors/types.ts';

const policy = parsePolicy(
  `version: 1
levels:
  - { acr: pwd, factor: password }
  - { acr: face, vendors: [gu1, gu1-eu] }
vendors:
  gu1: { type: gu1, apiKey: "\${env:K}", webhookSecret: "\${env:S}" }
  gu1-eu: { type: gu1, baseUrl: "https://eu.gu1.example", apiKey: "\${env:K}", webhookSecret: "\${env:S}" }
`,
  'inline.yaml',
  { env: { K: 'key', S: 'secret' } },
);

const sandbox: BaseUrlResolver = (type) => ({
  api: `http://127.0.0.1:3000/sandbox/${type}`,
  browser: `https://idp.example/sandbox/${type}`,
});

/** Builds the adapters with a fetch that records where each one calls, and answers nothing useful. */
async function calledUrls(resolver?: BaseUrlResolver) {
  const urls: string[] = [];
  const recording = (async (url: string | URL | Request) => {
    urls.push(String(url));
    return new Response('{}', { status: 404, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const adapters = buildVendorAdapters(policy, { fetch: recording }, resolver);
  for (const adapter of adapters.values()) await adapter.fetch('session-1').catch(() => undefined);
  return urls;
}

describe('where vendor adapters send their calls', () => {
  it("uses the vendor's documented API when the policy names no baseUrl and the sandbox is off", async () => {
    expect(await calledUrls()).toEqual([
      'https://api.gu1.ai/api/kyc/biometric/sessions/session-1',
      'https://eu.gu1.example/api/kyc/biometric/sessions/session-1',
    ]);
  });

  it('sends vendors without baseUrl to the local emulator in sandbox mode, and never overrides an explicit one', async () => {
    expect(await calledUrls(sandbox)).toEqual([
      'http://127.0.0.1:3000/sandbox/gu1/api/kyc/biometric/sessions/session-1',
      'https://eu.gu1.example/api/kyc/biometric/sessions/session-1',
    ]);
  });

  it("points what the person's browser loads at the sandbox's public address, not the internal one", async () => {
    const gp = parsePolicy(
      `version: 1
levels:
  - { acr: pwd, factor: password }
  - { acr: face, vendors: [globalpass], onMissingScore: trust-verdict }
vendors:
  globalpass: { type: globalpass, clientId: idp, clientSecret: "\${env:S}", webhookSecret: "\${env:S}" }
`,
      'inline.yaml',
      { env: { S: 'secret' } },
    );
    const calls: string[] = [];
    const fake = (async (url: string | URL | Request) => {
      calls.push(String(url));
      const body = String(url).endsWith('/connect/token')
        ? { access_token: 't', expires_in: 3600, token_type: 'Bearer' }
        : { id: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', status: 'Initiated' };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const adapter = buildVendorAdapters(gp, { fetch: fake }, sandbox).get('globalpass')!;
    const started = await adapter.start({
      verificationId: 'v',
      subject: '4a1f6b2c-8d3e-4c5f-9a6b-7c8d9e0f1a2b',
      returnUrl: 'https://idp.example/r',
      webhookUrl: 'https://idp.example/w',
      language: 'en',
      timeoutSeconds: 600,
    });
    expect(calls.every((c) => c.startsWith('http://127.0.0.1:3000/sandbox/globalpass/'))).toBe(true);
    expect(started.presentation).toMatchObject({
      kind: 'widget',
      scriptUrl: expect.stringMatching(/^https:\/\/idp\.example\/sandbox\/globalpass\//),
    });
  });
});
