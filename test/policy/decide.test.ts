import { describe, expect, it } from 'vitest';
import { composeAmr, decideRequirement, readAcrRequest, satisfies } from '../../src/policy/decide.ts';
import { parsePolicy } from '../../src/policy/load.ts';

const POLICY = parsePolicy(
  `
version: 1
levels:
  - { acr: pwd, factor: password, maxAge: 12h }
  - { acr: face, aliases: [aal2], vendors: [gu1], maxAge: 15m, attempts: { max: 5, window: 15m } }
  - { acr: face-strict, vendors: [gu1], thresholds: { liveness: 0.99 }, maxAge: 5m, attempts: { max: 5, window: 15m } }
vendors:
  gu1: { type: gu1, apiKey: "\${env:K}", webhookSecret: "\${env:S}" }
clients:
  bank: { minimumAcr: face }
  kiosk: { allowedAcrs: [pwd, aal2] }
  branch: { minimumAcr: face, allowedAcrs: [face, face-strict] }
`,
  'inline.yaml',
  { env: { K: 'k', S: 's' } },
);

const req = (params: Record<string, string>) => readAcrRequest(params);
const acrs = (r: ReturnType<typeof decideRequirement>) => (r.kind === 'levels' ? r.candidates.map((l) => l.acr) : r.kind);

describe('which levels a request asks for', () => {
  it.each([
    ['nothing requested', {}, 'none'],
    ['acr_values in preference order', { acr_values: 'face pwd' }, ['face', 'pwd']],
    ['an alias names its level', { acr_values: 'aal2' }, ['face']],
    ['unknown voluntary values are ignored', { acr_values: 'urn:x face' }, ['face']],
    ['only unknown voluntary values: no requirement', { acr_values: 'urn:x' }, 'none'],
    [
      'essential claim wins over acr_values',
      { acr_values: 'pwd', claims: '{"id_token":{"acr":{"essential":true,"values":["face-strict"]}}}' },
      ['face-strict'],
    ],
    ['essential single value', { claims: '{"id_token":{"acr":{"essential":true,"value":"face"}}}' }, ['face']],
    ['unknown essential: unmet', { claims: '{"id_token":{"acr":{"essential":true,"values":["urn:x"]}}}' }, 'unmet'],
    ['voluntary claims acr counts like acr_values', { claims: '{"id_token":{"acr":{"values":["face"]}}}' }, ['face']],
    ['a voluntary claims acr never widens acr_values', { acr_values: 'face', claims: '{"id_token":{"acr":{"values":["pwd"]}}}' }, ['face']],
    ['malformed claims are left to oidc-provider', { claims: '{not json', acr_values: 'pwd' }, ['pwd']],
  ])('%s', (_name, params, expected) => {
    expect(acrs(decideRequirement(POLICY, req(params), 'any-client'))).toEqual(expected);
  });

  it.each([
    ['an allowed alias names its level', 'kiosk', { acr_values: 'aal2' }, ['face']],
    ['a level outside allowedAcrs is ignored like an unknown value', 'kiosk', { acr_values: 'face-strict pwd' }, ['pwd']],
    ['only levels outside allowedAcrs: no requirement', 'kiosk', { acr_values: 'face-strict' }, 'none'],
    [
      'an essential level outside allowedAcrs: unmet',
      'kiosk',
      { claims: '{"id_token":{"acr":{"essential":true,"value":"face-strict"}}}' },
      'unmet',
    ],
    ['minimum and allowed together: nothing asked is raised to the minimum', 'branch', {}, ['face']],
    ['minimum and allowed together: a stronger allowed level stays', 'branch', { acr_values: 'face-strict' }, ['face-strict']],
  ])('client rules: %s', (_name, client, params, expected) => {
    expect(acrs(decideRequirement(POLICY, req(params), client))).toEqual(expected);
  });

  it('raises a request under the client minimum to the minimum', () => {
    expect(acrs(decideRequirement(POLICY, req({ acr_values: 'pwd' }), 'bank'))).toEqual(['face']);
    expect(acrs(decideRequirement(POLICY, req({}), 'bank'))).toEqual(['face']);
    expect(acrs(decideRequirement(POLICY, req({ acr_values: 'face-strict pwd' }), 'bank'))).toEqual(['face-strict']);
  });
});

describe('whether the session satisfies a level', () => {
  const now = 1_000_000;
  const face = POLICY.byAcr.get('face')!;
  it.each([
    ['the same level, fresh', { acr: 'face', authTime: now - 60 }, true],
    ['the same level, past its maxAge', { acr: 'face', authTime: now - 901 }, false],
    ['a higher level, fresh for the requested one', { acr: 'face-strict', authTime: now - 600 }, true],
    ['a lower level', { acr: 'pwd', authTime: now }, false],
    ['an acr the policy does not know', { acr: 'urn:x', authTime: now }, false],
    ['no authentication', {}, false],
  ])('%s', (_name, held, expected) => {
    expect(satisfies(POLICY, face, held, now)).toBe(expected);
  });
});

describe('amr composition (RFC 8176)', () => {
  it.each([
    [[], ['face'], ['face']],
    [['pwd'], ['face'], ['pwd', 'face', 'mfa']],
    [['pwd', 'face', 'mfa'], ['face'], ['pwd', 'face', 'mfa']],
    [['face'], ['face'], ['face']],
    [['pwd'], ['pwd'], ['pwd']],
  ])('%j + %j = %j', (prior, added, expected) => {
    expect(composeAmr(prior, added)).toEqual(expected);
  });
});
