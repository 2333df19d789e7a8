import { describe, expect, it } from 'vitest';
import { stepUp, type StepUpOptions } from '../../src/index.ts';
import { parsePolicy } from '../../src/exports/policy.ts';

// A host's mistake in stepUp()'s options is named at once, before anything is built or written.
const policy = parsePolicy('version: 1\nlevels:\n  - { acr: "urn:x:pwd", factor: password }\n', 'options.yaml');
const db = { knex: () => undefined, engine: 'postgres' } as unknown as StepUpOptions['db'];
const valid: StepUpOptions = { db, issuer: 'https://idp.example.com', policy };

async function refusal(options: unknown): Promise<TypeError> {
  const error = await stepUp(options as StepUpOptions).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TypeError);
  return error as TypeError;
}

describe('stepUp() options', () => {
  it.each([
    ['issuer', { issuer: 'idp.example.com' }, /option "issuer" must be an http\(s\) URL/],
    ['issuer', { issuer: 'https://idp.example.com/' }, /option "issuer" must not end with a slash/],
    ['db', { db: 'postgres://localhost/x' }, /option "db" must be a Database from openDatabase\(\)/],
    ['policy', { policy: () => policy }, /option "policy" must be a policy file path, \{ file \}, or a policy from loadPolicyFile/],
    ['policy.watch', { policy: { file: 'p.yaml', wach: true } }, /unknown option "policy.wach"/],
    ['mountPath', { mountPath: '/idp/' }, /option "mountPath" must be empty or a path like \/idp/],
    ['sessionTtl', { sessionTtl: -5 }, /option "sessionTtl"/],
    ['polling.tickMs', { polling: { tickMs: 'fast' } }, /option "polling.tickMs"/],
    ['webhookRateLimit', { webhookRateLimit: { points: 10 } }, /option "webhookRateLimit/],
    ['accounts', { accounts: { find: () => undefined } }, /option "accounts" must be an Accounts implementation/],
    ['now', { now: new Date() }, /option "now" must be a function returning a Date/],
    ['demo', { demo: 'yes' }, /option "demo"/],
  ])('names a bad %s', async (_name, change, message) => {
    expect((await refusal({ ...valid, ...change })).message).toMatch(message);
  });

  it('names an unknown option, such as a misspelt one', async () => {
    expect((await refusal({ ...valid, mountpath: '/idp' })).message).toBe('stepUp(): unknown option "mountpath"');
  });

  it('names a missing required option', async () => {
    const { issuer: _, ...rest } = valid;
    expect((await refusal(rest)).message).toMatch(/^stepUp\(\): option "issuer" /);
  });

  it('refuses what is not an options object', async () => {
    expect((await refusal(undefined)).message).toBe('stepUp(): options must be an object');
  });
});
