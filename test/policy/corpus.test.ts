import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, PolicyError } from '../../src/errors.ts';
import { parsePolicy } from '../../src/policy/load.ts';

/*
 * Every file in corpus/ is a policy an admin might write. Its expected problems are listed after it,
 * in the form `policy check` prints (`line:column path: message`): `# expect:` lines are the errors,
 * all of them, in file order; `# warning:` lines the warnings. JSON files keep theirs in a `.expect`
 * file beside them. A file without `# expect:` lines must load.
 */
const CORPUS = path.join(import.meta.dirname, 'corpus');
const ENV = {
  GU1_API_KEY: 'gk_test',
  GU1_WEBHOOK_SECRET: 'whsec_test',
  VERIFIK_ACCESS_TOKEN: 'vk_test',
  GLOBALPASS_CLIENT_SECRET: 'gp_test',
  GLOBALPASS_WEBHOOK_SECRET: 'gp_whsec_test',
  PASSBASE_API_KEY: 'pb_test',
  PASSBASE_WEBHOOK_SECRET: 'x'.repeat(32),
};

const cases = readdirSync(CORPUS)
  .filter((name) => /\.(ya?ml|json)$/.test(name))
  .sort()
  .map((name) => {
    const text = readFileSync(path.join(CORPUS, name), 'utf8');
    const expectations = name.endsWith('.json') ? readFileSync(path.join(CORPUS, name.replace(/\.json$/, '.expect')), 'utf8') : text;
    const listed = (kind: string) => [...expectations.matchAll(new RegExp(`^# ${kind}: (.*)$`, 'gm'))].map((m) => m[1]!);
    return { name, text, errors: listed('expect'), warnings: listed('warning') };
  });

function load(name: string, text: string) {
  try {
    const policy = parsePolicy(text, name, { env: ENV });
    return { errors: [], warnings: policy.warnings.map(formatIssue) };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { errors: error.issues.map(formatIssue), warnings: error.warnings.map(formatIssue) };
  }
}

describe('the policy corpus', () => {
  it('has at least 30 broken policies', () => {
    expect(cases.filter((c) => c.errors.length > 0).length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(load(c.name, c.text)).toEqual({ errors: c.errors, warnings: c.warnings });
  });
});
