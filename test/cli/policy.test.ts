import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'stepup-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DATA_DIR = path.join(dir, 'data');
const DEFAULT = path.join(PROJECT_ROOT, 'policies/default.yaml');
const BANK = path.join(PROJECT_ROOT, 'policies/examples/bank.yaml');

async function stepup(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: dir,
    env: { ...process.env, STEPUP_DATA_DIR: DATA_DIR, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const broken = () => {
  const file = path.join(dir, 'broken.yaml');
  writeFileSync(
    file,
    readFileSync(BANK, 'utf8').replace('maxAge: 15m', 'maxage: 15m').replace('vendors: [gu1, verifik]', 'vendors: [gu1, verifk]'),
  );
  return file;
};

describe('stepup policy check', () => {
  it('prints a one-line summary and exits 0 for a valid policy', async () => {
    const result = await stepup(['policy', 'check', BANK]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(
      /^.*bank\.yaml: valid, 3 levels \(urn:stepup:acr:password < urn:stepup:acr:face < urn:stepup:acr:face-strict\), 3 vendors \(gu1, verifik, globalpass\), 2 client rules, 0 warnings; sha256 [0-9a-f]{64}\n$/,
    );
  });

  it('lists every error as file:line:column and exits 1', async () => {
    const file = broken();
    const result = await stepup(['policy', 'check', file]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}: invalid policy (3 errors)`,
      `${file}:19:20: error: levels[1].vendors[1]: vendor "verifk" is not configured under vendors (did you mean "verifik"?)`,
      `${file}:22:7: error: levels[1].vendorThresholds.verifik: "verifik" is not one of this level's vendors (gu1, verifk)`,
      `${file}:24:5: error: levels[1].maxage: unknown key "maxage" (did you mean "maxAge"?)`,
      `${file}:45:3: warning: vendors.verifik: vendor "verifik" is configured but no level uses it`,
    ]);
  });

  it('lists the schema and the semantic problems of one level together', async () => {
    const file = path.join(dir, 'both.yaml');
    writeFileSync(
      file,
      readFileSync(BANK, 'utf8')
        .replace('maxAge: 5m', 'maxAge: forever')
        .replace('vendors: [gu1, globalpass]', 'vendors: [gu1, globalpas]')
        .replace('liveness: 0.95, match: 0.90', 'liveness: 0.5, match: 0.90'),
    );
    const result = await stepup(['policy', 'check', file]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `${file}: invalid policy (3 errors)`,
      `${file}:32:20: error: levels[2].vendors[1]: vendor "globalpas" is not configured under vendors (did you mean "globalpass"?)`,
      `${file}:33:29: error: levels[2].thresholds.liveness: liveness threshold 0.5 is below levels[1]'s 0.9: levels go from weakest to strongest, and a session at this level also satisfies levels[1]`,
      `${file}:35:13: error: levels[2].maxAge: expected a duration such as 90s, 15m, 12h or 1d, found "forever"`,
    ]);
  });

  it('answers CI pipelines in JSON', async () => {
    const result = await stepup(['policy', 'check', '--json', broken()]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { valid: boolean; errors: Array<{ path: string; line: number; column: number }> };
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ['levels[1].vendors[1]', 19, 20],
      ['levels[1].vendorThresholds.verifik', 22, 7],
      ['levels[1].maxage', 24, 5],
    ]);
  });

  it('requires every ${env:} reference to be set outside sandbox mode, naming the variable', async () => {
    const result = await stepup(['policy', 'check', BANK], {
      STEPUP_SANDBOX: '0',
      GU1_API_KEY: 'k',
      GU1_WEBHOOK_SECRET: 's',
      VERIFIK_ACCESS_TOKEN: 't',
      GLOBALPASS_CLIENT_SECRET: 'c',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: vendors.globalpass.webhookSecret: environment variable GLOBALPASS_WEBHOOK_SECRET is not set');
  });
});

describe('stepup policy explain', () => {
  it('explains a request, with the attempts an account has left read from the database', async () => {
    expect((await stepup(['accounts', 'add', 'dora'], { STEPUP_PASSWORD: 'dora-pass' })).code).toBe(0);
    const db = await openDatabase({ engine: 'pglite', dataDir: DATA_DIR });
    try {
      const account = await db.knex('accounts').where({ username: 'dora' }).first('id');
      const now = new Date();
      const rejected = (minutesAgo: number, acr = 'urn:stepup:acr:face') => ({
        id: randomUUID(),
        interaction_uid: 'i',
        account_id: account.id,
        client_id: 'c',
        acr,
        vendor: 'gu1',
        vendor_type: 'gu1',
        expected_subject: 's',
        state: 'rejected',
        policy_hash: 'h',
        thresholds: '{}',
        created_at: new Date(now.getTime() - minutesAgo * 60_000),
        updated_at: now,
        expires_at: now,
      });
      // Two rejections count; one is too old, one was at another level.
      await db.knex('verifications').insert([rejected(1), rejected(10), rejected(40), rejected(2, 'urn:stepup:acr:face-strict')]);
    } finally {
      await db.close();
    }
    const result = await stepup(['policy', 'explain', BANK, '--acr', 'http://idmanagement.gov/ns/assurance/aal/2', '--account', 'dora']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[2]).toBe('outcome   urn:stepup:acr:face (levels[1]: Hosted face match with liveness against the enrolled KYC portrait)');
    expect(lines.at(-1)).toBe('attempts  at most 5 rejections in 15m; account dora: 2 used, 3 left');
  }, 180_000); // three PGlite opens of the same data directory, each with its start-up cost

  it('says why a request cannot be met', async () => {
    const result = await stepup(['policy', 'explain', DEFAULT, '--acr', 'urn:unknown', '--essential']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('outcome   refused: unmet_authentication_requirements');
    expect(result.stdout).toContain('the request cannot be met: none of the essential acr values (urn:unknown) is offered');
  });
});

describe('stepup policy schema', () => {
  it('prints the JSON Schema that policies/schema.json holds', async () => {
    const result = await stepup(['policy', 'schema']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(path.join(PROJECT_ROOT, 'policies/schema.json'), 'utf8'));
  });
});
