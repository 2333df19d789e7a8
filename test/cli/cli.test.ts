import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/idp.ts';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'stepup-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function stepup(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: dir,
    env: { ...process.env, STEPUP_DATA_DIR: path.join(dir, 'data'), ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('the stepup command', () => {
  it('creates and enrols accounts, and says in one line why it refuses', async () => {
    const added = await stepup(['accounts', 'add', 'carol', '--name', 'Carol'], { STEPUP_PASSWORD: 'carol-pass' });
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toMatch(/account carol created/);
    const linked = await stepup(['accounts', 'link', 'carol', 'gu1', '0a1b2c3d-1111-4222-8333-444455556666']);
    expect(linked.stdout).toMatch(/carol is enrolled at gu1/);
    const missing = await stepup(['accounts', 'link', 'nobody', 'gu1', 'x']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toBe('stepup: no account named nobody');
  });

  it('registers an auditor client once, printing its secret, and refuses a second one of that name', async () => {
    const added = await stepup(['clients', 'add-auditor', 'soc-team']);
    expect(added, added.stderr).toMatchObject({ code: 0 });
    expect(added.stdout).toMatch(/^client_id=soc-team\nclient_secret=[A-Za-z0-9_-]{43}\n/);
    const again = await stepup(['clients', 'add-auditor', 'soc-team']);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toBe('stepup: a client named soc-team already exists');
  });

  it('rotates the signing keys with the KEK given, recording the rotation in the ledger', async () => {
    const kek = (await stepup(['keys', 'new-kek'])).stdout.trim();
    expect(kek).toMatch(/^[\w-]{43}$/);
    expect(await stepup(['keys', 'rotate', '--delay', 'soon'], { STEPUP_KEK: kek })).toMatchObject({
      code: 1,
      stderr: 'stepup: --delay must be a duration such as 90s, 10m or 1h, not soon\n',
    });
    const rotated = await stepup(['keys', 'rotate', '--delay', '15m'], { STEPUP_KEK: kek });
    expect(rotated.code, rotated.stderr).toBe(0);
    const kids = [...rotated.stdout.matchAll(/([0-9a-f-]{36}) \((RS256|ES256)\)/g)].map((m) => m[1]);
    expect(kids).toHaveLength(2);
    const events = JSON.parse((await stepup(['ledger', 'query', '--type', 'keys.rotated', '--json'])).stdout) as {
      events: Array<{ data: { keys: Array<{ kid: string }> } }>;
    };
    expect(events.events.at(-1)!.data.keys.map((k) => k.kid)).toEqual(kids);
    const wrong = await stepup(['keys', 'rotate'], { STEPUP_SANDBOX: '0' });
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining('stepup: no key-encryption key: set STEPUP_KEK_FILE') });
  });

  it('refuses to serve an invalid policy, listing each problem with its line', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nlevels:\n  - acr: pwd\n    factor: password\n    colour: blue\n');
    const result = await stepup(['serve'], { STEPUP_POLICY: file, PORT: '0' });
    expect(result.code).not.toBe(0);
    // A server says everything, its refusal to start included, as pino records.
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { issues?: unknown[] } });
    const fatal = records.find((r) => r.level === 60);
    expect(fatal).toMatchObject({
      msg: 'the identity provider could not start',
      err: { issues: [{ line: 5, column: 5, path: 'levels[0].colour', message: expect.stringContaining('unknown key "colour"') }] },
    });
    expect(result.stderr).toBe('');
  });
});
