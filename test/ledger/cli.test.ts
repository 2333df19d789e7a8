import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knexFactory from 'knex';
import { openDatabase, type Database, type DatabaseTarget } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { appendEvent } from '../../src/ledger/ledger.ts';
import { ledgerPublicKeys } from '../../src/ledger/ledger-key.ts';
import { PROJECT_ROOT } from '../support/idp.ts';
import { offCatalogue } from '../support/ledger-events.ts';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'stepup-ledger-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A scratch PostgreSQL database when there is a server (each CLI run then starts in a blink), else an
// embedded database folder.
const adminUrl = process.env.TEST_DATABASE_URL;
const scratch = `stepup_cli_${process.pid}_${Date.now()}`;
const databaseUrl = adminUrl ? Object.assign(new URL(adminUrl), { pathname: `/${scratch}` }).href : undefined;
const target: DatabaseTarget = databaseUrl
  ? { engine: 'postgres', url: databaseUrl }
  : { engine: 'pglite', dataDir: path.join(dir, 'data') };
const cliEnv = databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '', STEPUP_DATA_DIR: path.join(dir, 'data') };

async function onAdmin(sql: string): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: adminUrl });
  try {
    await admin.raw(sql);
  } finally {
    await admin.destroy();
  }
}

async function stepup(...args: string[]) {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: dir,
    env: { ...process.env, ...cliEnv },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

// The embedded database is one process's at a time: the test opens it only between CLI runs.
async function withDatabase(work: (db: Database) => Promise<void>): Promise<void> {
  const db = await openDatabase(target);
  try {
    await work(db);
  } finally {
    await db.close();
  }
}

afterAll(async () => {
  if (adminUrl) await onAdmin(`drop database if exists ${scratch}`);
});

beforeAll(async () => {
  if (adminUrl) await onAdmin(`create database ${scratch}`);
  await withDatabase(async (db) => {
    await migrate(db);
    for (let i = 1; i <= 12; i++) {
      await appendEvent(
        db.knex,
        offCatalogue({
          type: i % 4 === 0 ? 'stepup.denied' : 'verification.started',
          verificationId: `v${i}`,
          accountId: i % 2 ? 'alice' : 'bob',
          clientId: 'payments-app',
          acr: 'urn:stepup:acr:face',
          vendor: 'gu1',
          data: { reason: i % 4 === 0 ? 'FACE_MATCH_SCORE_LOW' : null, scores: { liveness: 0.97, match: 0.4 } },
          at: new Date(Date.UTC(2026, 10, i)),
        }),
      );
    }
  });
});

describe('stepup ledger', () => {
  it('verifies the chain and signs checkpoints', async () => {
    const intact = await stepup('ledger', 'verify');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^ledger intact: 12 event\(s\) \(seq 1–12\), 0 checkpoint signature\(s\) verified, head [0-9a-f]{64}$/m);

    const signed = await stepup('ledger', 'checkpoint');
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(/^checkpoint signed: seq 12, hash [0-9a-f]{64}, key \S+$/m);
    expect((await stepup('ledger', 'checkpoint')).stdout).toMatch(/nothing to sign/);

    let jwks = '';
    await withDatabase(async (db) => {
      jwks = path.join(dir, 'jwks.json');
      writeFileSync(jwks, JSON.stringify({ keys: await ledgerPublicKeys(db.knex) }));
    });
    const pinned = await stepup('ledger', 'verify', '--jwks', jwks);
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toMatch(/12 event\(s\) \(seq 1–12\), 1 checkpoint signature\(s\) verified/);
  });

  it('queries with the audit filters, as a table or JSON', async () => {
    const table = await stepup('ledger', 'query', '--account', 'bob', '--decision', 'denied');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^seq\s+at\s+type\s+account\s+client\s+acr\s+vendor\s+details$/);
    expect(lines.slice(1, -1).map((l) => l.split(/\s+/)[0])).toEqual(['4', '8', '12']);
    expect(lines[1]).toContain('reason=FACE_MATCH_SCORE_LOW');
    expect(lines.at(-1)).toBe('3 event(s)');

    const json = await stepup('ledger', 'query', '--account', 'alice', '--limit', '2', '--json');
    const page = JSON.parse(json.stdout) as { events: Array<{ seq: number }>; next_cursor: string };
    expect(page.events.map((e) => e.seq)).toEqual([1, 3]);
    const next = JSON.parse(
      (await stepup('ledger', 'query', '--account', 'alice', '--limit', '2', '--cursor', page.next_cursor, '--json')).stdout,
    );
    expect(next.events.map((e: { seq: number }) => e.seq)).toEqual([5, 7]);
  });

  it('refuses bad filters in one line', async () => {
    const bad = await stepup('ledger', 'query', '--limit', '0', '--from', 'yesterday');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'stepup: from: expected an ISO 8601 date-time with a time zone, e.g. 2026-11-01T00:00:00Z; limit: at least 1',
    );
  });

  it('exports CSV and JSON Lines files', async () => {
    const csvFile = path.join(dir, 'out.csv');
    const csv = await stepup('ledger', 'export', '--format', 'csv', '--out', csvFile, '--account', 'alice');
    expect(csv.code).toBe(0);
    expect(csv.stdout.trim()).toBe(`6 event(s) written to ${csvFile}`);
    const rows = readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
    expect(rows[0]).toBe('seq,at,type,verification_id,account_id,client_id,acr,vendor,data,prev_hash,hash');
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['1', '3', '5', '7', '9', '11']);

    const jsonlFile = path.join(dir, 'out.jsonl');
    expect((await stepup('ledger', 'export', '--format', 'jsonl', '--out', jsonlFile)).code).toBe(0);
    const events = readFileSync(jsonlFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  // Privacy: after `ledger erase` the account's rows answer no query by it, the erasure names no id, and the chain verifies.
  it('erases an account without breaking the chain', async () => {
    const erased = await stepup('ledger', 'erase', '--account', 'bob');
    expect(erased.code).toBe(0);
    expect(erased.stdout).toMatch(/^account erased: key deleted, recorded at seq 13 \(account\.erased, commitment hmac:[\w-]{43}\)$/m);
    expect(JSON.parse((await stepup('ledger', 'query', '--account', 'bob', '--json')).stdout).events).toEqual([]);
    const recorded = JSON.parse((await stepup('ledger', 'query', '--type', 'account.erased', '--json')).stdout).events;
    expect(recorded).toMatchObject([{ seq: 13, accountId: null }]);
    expect(JSON.stringify(recorded)).not.toContain('bob');
    expect((await stepup('ledger', 'verify')).stdout).toMatch(/^ledger intact: 13 event\(s\)/m);
    expect((await stepup('ledger', 'erase', '--account', 'bob')).stdout).toMatch(/^nothing to erase/);
    expect(JSON.parse((await stepup('ledger', 'query', '--account', 'alice', '--json')).stdout).events).toHaveLength(6);
  });

  // Property: a ledger altered behind the database's back fails verification, naming the first bad seq.
  it('names the first bad seq of an altered ledger and exits non-zero', async () => {
    await withDatabase(async (db) => {
      await db.knex.raw('alter table ledger_events disable trigger ledger_events_no_update');
      await db.knex.raw(`update ledger_events set body = replace(body, '"match":0.4', '"match":0.9') where seq = 6`);
      await db.knex.raw('alter table ledger_events enable trigger ledger_events_no_update');
    });
    const broken = await stepup('ledger', 'verify');
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim()).toBe("stepup: ledger broken at seq 6 (altered): seq 6: the stored hash does not match the row's content");
    expect((await stepup('ledger', 'verify', '--from', '7')).code, 'the rows after it still chain').toBe(0);
  });

  // Property: a query column changed apart from its hashed body (triggers off) fails verification too.
  it('names the first row whose query column drifted from its hashed body', async () => {
    await withDatabase(async (db) => {
      await db.knex.transaction(async (trx) => {
        await trx.raw('set local session_replication_role = replica');
        await trx.raw(`update ledger_events set client_id = 'other-app' where seq in (9, 11)`);
      });
    });
    const drifted = await stepup('ledger', 'verify', '--from', '7');
    expect(drifted.code).toBe(2);
    expect(drifted.stderr.trim()).toBe(
      "stepup: ledger broken at seq 9 (column_drift): seq 9: client_id does not say what the hashed body says (changed with the ledger's triggers disabled)",
    );
  });
});
