import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/load.ts';
import { buildVendorAdapters } from '../../src/vendors/instances.ts';

const policy = parsePolicy(
  `version: 1
levels:
  - { acr: pwd, factor: password }
  - { acr: face, vendors: [gu1, gu1-eu] }
vendors:
  gu1: { type: gu1, apiKey: k, webhookSecret: s }
  gu1-eu: { type: gu1, baseUrl: "https://eu.gu1.example", apiKey: k2, webhookSecret: s2 }
`,
  'inline.yaml',
);

/** Builds the adapters with a fetch that records where each one calls, and answers nothing useful. */
async function calledUrls(sandbox?: (type: string) => string) {
  const urls: string[] = [];
  const recording = (async (url: string | URL | Request) => {
    urls.push(String(url));
    return new Response('{}', { status: 404, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const adapters = buildVendorAdapters(policy, { fetch: recording }, sandbox);
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
    expect(await calledUrls((type) => `http://127.0.0.1:3000/sandbox/${type}`)).toEqual([
      'http://127.0.0.1:3000/sandbox/gu1/api/kyc/biometric/sessions/session-1',
      'https://eu.gu1.example/api/kyc/biometric/sessions/session-1',
    ]);
  });
});
