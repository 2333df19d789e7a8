import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../src/accounts/store.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { PROJECT_ROOT } from '../support/idp.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'stepup-roles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function accountsAdd(args: string[]) {
  return promisify(execFile)(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/main.ts'), 'accounts', 'add', ...args], {
    cwd: dir,
    env: { ...process.env, STEPUP_DATA_DIR: path.join(dir, 'data'), STEPUP_PASSWORD: 'pass-word' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('the auditor role', () => {
  it('is given by stepup accounts add --role auditor, and an unknown role is refused without creating the account', async () => {
    expect(await accountsAdd(['erin', '--role', 'auditor'])).toMatchObject({ code: 0 });
    expect(await accountsAdd(['frank', '--role', 'admin'])).toMatchObject({
      code: 1,
      stderr: 'stepup: unknown role admin: expected one of auditor\n',
    });
    const db = await openDatabase({ engine: 'pglite', dataDir: path.join(dir, 'data') });
    try {
      const store = new AccountStore(db.knex);
      const id = async (username: string) => (await store.findByUsername(username))?.id;
      expect(await store.hasRole((await id('erin'))!, 'auditor')).toBe(true);
      expect(await store.hasRole('alice', 'auditor')).toBe(false);
      expect(await id('frank')).toBeUndefined();
    } finally {
      await db.close();
    }
  });
});
