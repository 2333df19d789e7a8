import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { PROJECT_ROOT } from '../support/idp.ts';
import { FACE, at, policyText, recordAll } from '../support/replay-fixtures.ts';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'stepup-replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dataDir = path.join(dir, 'data');

async function stepup(...args: string[]) {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: '', STEPUP_DATA_DIR: dataDir, K: 'k', S: 's' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

beforeAll(async () => {
  const db = await openDatabase({ engine: 'pglite', dataDir });
  try {
    await migrate(db);
    await recordAll(db);
  } finally {
    await db.close();
  }
  writeFileSync(path.join(dir, 'tighter.yaml'), policyText({ thresholds: '{ liveness: 0.9, match: 0.9 }', vendors: '[gu1]' }));
});

const WINDOW = ['--from', at(0).toISOString(), '--to', at(24 * 60).toISOString()];

describe('stepup policy replay', () => {
  it('reports what a candidate policy would change, as JSON', async () => {
    const replayed = await stepup('policy', 'replay', 'tighter.yaml', ...WINDOW, '--json');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({
      file: 'tighter.yaml',
      window: { from: at(0).toISOString(), to: at(24 * 60).toISOString() },
      verifications: 6,
      unchanged: 4,
      unconcluded: 1,
      grantsToDenials: [{ acr: FACE, vendor: 'gu1', reason: 'match_below_threshold', count: 1, examples: ['v-mid'] }],
      denialsToGrants: [],
      undecidable: [{ cause: 'vendor_not_in_level', count: 1, examples: ['v-gp'] }],
    });
  });

  it('reports it as text', async () => {
    const replayed = await stepup('policy', 'replay', 'tighter.yaml', ...WINDOW);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain(
      '6 decided verifications: 4 unchanged, 1 grant(s) → denial, 0 denial(s) → grant, 1 undecidable; 1 without a recorded decision',
    );
    expect(replayed.stdout).toContain(`  ${FACE}  gu1  match_below_threshold: 1 (e.g. v-mid)`);
    expect(replayed.stdout).toContain('  vendor_not_in_level: 1 (e.g. v-gp)');
  });

  it('refuses a bad window or candidate in one line, reading nothing', async () => {
    const backwards = await stepup('policy', 'replay', 'tighter.yaml', '--from', at(10).toISOString(), '--to', at(0).toISOString());
    expect(backwards).toMatchObject({ code: 1, stderr: 'stepup: from must be earlier than to\n' });
    const missing = await stepup('policy', 'replay', 'nope.yaml', ...WINDOW);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^stepup: .*nope\.yaml/);
  });
});
