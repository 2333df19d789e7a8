import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.ts';
import { thresholdsFor } from '../../src/policy/policy.ts';
import { isSecret, literalSecrets } from '../../src/policy/secrets.ts';
import { secret } from '../../src/vendors/secret.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

// Broken policies, with their exact messages and positions, are in corpus/ (corpus.test.ts).
const GOOD = `version: 1
levels:
  - acr: pwd
    factor: password
  - acr: face
    aliases: [https://refeds.org/profile/mfa]
    vendors: [gu1]
    thresholds: { liveness: 0.9, match: 0.85 }
    maxAge: 15m
    attempts: { max: 5, window: 15m, lockout: 1h }
vendors:
  gu1:
    type: gu1
    apiKey: \${env:GU1_KEY}
    webhookSecret: \${env:GU1_SECRET}
clients:
  bank: { minimumAcr: face, allowedAcrs: [face] }
`;
const ENV = { GU1_KEY: 'key', GU1_SECRET: 'secret' };

describe('policy loading', () => {
  it('compiles a valid policy with resolved secrets, durations in seconds, its source and a stable hash', () => {
    const policy = parsePolicy(GOOD, 'p.yaml', { env: ENV });
    expect(policy.levels.map((l) => [l.acr, l.rank, l.maxAge, l.attempts])).toEqual([
      ['pwd', 0, undefined, undefined],
      ['face', 1, 900, { max: 5, window: 900, lockout: 3600 }],
    ]);
    expect(policy.byAcr.get('https://refeds.org/profile/mfa')?.acr).toBe('face');
    expect(policy.vendors.gu1).toMatchObject({ apiKey: 'key', webhookSecret: 'secret' });
    expect(policy.clients.bank).toEqual({ minimumAcr: 'face', allowedAcrs: ['face'] });
    expect(policy.source).toBe(GOOD);
    expect(policy.warnings).toEqual([]);
    // Secrets are references in the hashed document: rotating one does not change the policy's identity.
    expect(policy.hash).toBe(parsePolicy(GOOD, 'p.yaml', { env: { GU1_KEY: 'other', GU1_SECRET: 'x' } }).hash);
    expect(policy.hash).not.toBe(parsePolicy(GOOD.replace('0.85', '0.86'), 'p.yaml', { env: ENV }).hash);
  });

  it('loads the shipped default policy with sandbox secrets', () => {
    // 32 characters, like sandbox mode's generated secrets (Passbase needs a raw AES-256 key).
    const policy = loadPolicyFile(path.join(PROJECT_ROOT, 'policies/default.yaml'), {
      env: {},
      secretFallback: (n) => `sandbox-${n}`.padEnd(32, '0').slice(0, 32),
    });
    expect(policy.levels.map((l) => l.acr)).toEqual(['urn:stepup:acr:password', 'urn:stepup:acr:face']);
  });

  it('holds a verdict-only vendor to no score when the level trusts verdicts, and the others to theirs', () => {
    const policy = parsePolicy(
      `version: 1
levels:
  - { acr: pwd, factor: password }
  - acr: face
    vendors: [gu1, globalpass]
    thresholds: { liveness: 0.9, match: 0.85 }
    onMissingScore: trust-verdict
    attempts: { max: 5, window: 15m }
vendors:
  gu1: { type: gu1, apiKey: "\${env:GU1_KEY}", webhookSecret: "\${env:GU1_SECRET}" }
  globalpass: { type: globalpass, clientId: idp, clientSecret: "\${env:GU1_KEY}", webhookSecret: "\${env:GU1_SECRET}" }
`,
      'p.yaml',
      { env: ENV },
    );
    const face = policy.byAcr.get('face')!;
    expect(thresholdsFor(face, 'gu1')).toEqual({ liveness: 0.9, match: 0.85 });
    expect(thresholdsFor(face, 'globalpass')).toEqual({});
  });

  it('applies per-vendor threshold overrides over the level floors', () => {
    const policy = parsePolicy(
      GOOD.replace('    maxAge: 15m', '    vendorThresholds: { gu1: { match: 0.3 } }\n    maxAge: 15m'),
      'p.yaml',
      { env: ENV },
    );
    expect(thresholdsFor(policy.byAcr.get('face')!, 'gu1')).toEqual({ liveness: 0.9, match: 0.3 });
  });

  it('names the file it cannot read', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(/\/nonexistent\/policy.yaml: .*ENOENT/);
  });
});

describe('secret fields', () => {
  const schema = z.strictObject({
    key: secret(),
    optional: secret().optional(),
    nested: z.object({ token: secret().describe('doc') }),
    plain: z.string(),
  });

  it('are recognised through wrappers and descriptions', () => {
    expect(isSecret(schema.shape.key)).toBe(true);
    expect(isSecret(schema.shape.optional)).toBe(true);
    expect(isSecret(schema.shape.nested.shape.token)).toBe(true);
    expect(isSecret(schema.shape.plain)).toBe(false);
  });

  it('are refused when written literally, nested ones included, and accepted as references', () => {
    const config = { key: 'literal', optional: '${env:X}', nested: { token: 'also-literal' }, plain: 'not a secret' };
    expect(literalSecrets(schema, config)).toEqual([['key'], ['nested', 'token']]);
    expect(literalSecrets(schema, { key: '${file:/run/secrets/k}', nested: { token: '${env:T}' }, plain: 'x' })).toEqual([]);
  });
});
