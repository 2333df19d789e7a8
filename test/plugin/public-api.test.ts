import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The package's entry points: the root stays small, and every subpath names a module that exists.
const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { default: string }> };
const sourceOf = (target: { default: string }) => resolve(root, target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
const entries = Object.entries(pkg.exports).filter((e): e is [string, { default: string }] => typeof e[1] === 'object');

describe('the public API', () => {
  it('exports stepUp, requireAcr, the errors and types only from the package root', async () => {
    const names = Object.keys(await import('../../src/index.ts')).sort();
    expect(names).toEqual(
      [
        'stepUp',
        'requireAcr',
        'parseChallenges',
        'stepUpChallenge',
        'StepUpError',
        'VendorUnavailableError',
        'VendorRefusedError',
        'WebhookRejectedError',
        'PolicyError',
        'ERROR_CODES',
        'toHttp',
      ].sort(),
    );
  });

  it.each(entries)('resolves the %s entry point to a module of src/', async (name, target) => {
    expect(existsSync(sourceOf(target)), `${name} → ${target.default}`).toBe(true);
    expect(Object.keys(await import(sourceOf(target))).length).toBeGreaterThan(0);
  });

  it('offers the policy, ledger, storage and server subpaths', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './ledger', './package.json', './policy', './server', './storage']);
  });
});
