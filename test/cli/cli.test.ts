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

  it('refuses to serve an invalid policy, listing each problem with its line', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nlevels:\n  - acr: pwd\n    factor: password\n    colour: blue\n');
    const result = await stepup(['serve'], { STEPUP_POLICY: file, PORT: '0' });
    expect(result.code).not.toBe(0);
    // A server says everything, its refusal to start included, as pino records.
    const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; err?: { issues?: unknown[] } });
    const fatal = records.find((r) => r.level === 60);
    expect(fatal).toMatchObject({ msg: 'the identity provider could not start', err: { issues: [{ line: 5, column: 5, path: 'levels[0].colour', message: expect.stringContaining('unknown key "colour"') }] } });
    expect(result.stderr).toBe('');
  });
});
