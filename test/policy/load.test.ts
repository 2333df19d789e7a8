import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.ts';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

const GOOD = `version: 1
levels:
  - acr: pwd
    factor: password
  - acr: face
    vendors: [gu1]
    thresholds: { liveness: 0.9, match: 0.85 }
    maxAge: 15m
vendors:
  gu1:
    type: gu1
    apiKey: \${env:GU1_KEY}
    webhookSecret: \${env:GU1_SECRET}
`;
const ENV = { GU1_KEY: 'key', GU1_SECRET: 'secret' };

function issuesOf(text: string, env: NodeJS.ProcessEnv = ENV) {
  try {
    parsePolicy(text, 'p.yaml', { env });
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error('the policy was accepted');
}

describe('policy loading', () => {
  it('compiles a valid policy with resolved secrets, durations in seconds and a stable hash', () => {
    const policy = parsePolicy(GOOD, 'p.yaml', { env: ENV });
    expect(policy.levels.map((l) => [l.acr, l.rank, l.maxAge])).toEqual([['pwd', 0, undefined], ['face', 1, 900]]);
    expect(policy.vendors.gu1).toMatchObject({ apiKey: 'key', webhookSecret: 'secret' });
    expect(policy.hash).toBe(parsePolicy(GOOD, 'p.yaml', { env: { GU1_KEY: 'other', GU1_SECRET: 'x' } }).hash);
    expect(policy.hash).not.toBe(parsePolicy(GOOD.replace('0.85', '0.86'), 'p.yaml', { env: ENV }).hash);
  });

  it('loads the shipped default policy with sandbox secrets', () => {
    const policy = loadPolicyFile(path.join(PROJECT_ROOT, 'policies/default.yaml'), { env: {}, secretFallback: (n) => `sandbox-${n}` });
    expect(policy.levels.map((l) => l.acr)).toEqual(['urn:stepup:acr:password', 'urn:stepup:acr:face']);
  });

  it.each([
    ['a YAML syntax error', GOOD.replace('version: 1', 'version: 1\nversion: 1'), { message: expect.stringMatching(/YAML syntax: Map keys must be unique/), line: 2 }],
    ['an unknown key', GOOD.replace('maxAge: 15m', 'maxAge: 15m\n    maxage: 1m'), { path: 'levels[1]', message: expect.stringMatching(/maxage/), line: 5 }],
    ['a threshold above 1', GOOD.replace('match: 0.85', 'match: 1.2'), { path: 'levels[1].thresholds.match', line: 7 }],
    ['a negative duration', GOOD.replace('15m', '-5m'), { path: 'levels[1].maxAge', message: expect.stringMatching(/duration/), line: 8 }],
    ['a vendor that is not configured', GOOD.replace('vendors: [gu1]', 'vendors: [gu2]'), { path: 'levels[1].vendors[0]', message: expect.stringMatching(/gu2/), line: 6 }],
    ['a duplicate acr', GOOD.replace('acr: face', 'acr: pwd'), { path: 'levels[1].acr', message: expect.stringMatching(/already used/), line: 5 }],
    ['an unknown vendor type', GOOD.replace('type: gu1', 'type: gu9'), { path: 'vendors.gu1.type', message: expect.stringMatching(/unknown vendor type/), line: 11 }],
    ['a missing environment variable', GOOD, { path: 'vendors.gu1.apiKey', message: expect.stringMatching(/GU1_KEY is not set/), line: 12 }, {}],
    ['a biometric level without vendors', GOOD.replace('vendors: [gu1]', 'vendors: []'), { path: 'levels[1].vendors', message: expect.stringMatching(/at least one vendor/) }],
    ['no password level', GOOD.replace('factor: password', 'vendors: [gu1]'), { path: 'levels', message: expect.stringMatching(/factor: password/) }],
    ['a wrong version', GOOD.replace('version: 1', 'version: 2'), { path: 'version', line: 1 }],
  ])('reports %s with its path and position', (_name, text, expected, env = ENV) => {
    const issues = issuesOf(text, env as NodeJS.ProcessEnv);
    expect(issues).toEqual(expect.arrayContaining([expect.objectContaining(expected)]));
  });

  it('reports every problem of a file at once', () => {
    const issues = issuesOf(GOOD.replace('vendors: [gu1]', 'vendors: [gu2]').replace('acr: face', 'acr: pwd'));
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['levels[1].acr', 'levels[1].vendors[0]']));
  });

  it('names the file it cannot read', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(/\/nonexistent\/policy.yaml: .*ENOENT/);
  });
});
