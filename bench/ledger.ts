/**
 * `npm run bench:ledger`: the verification ledger at auditor scale on PostgreSQL (issue 5, DESIGN §8).
 *
 * Generates BENCH_LEDGER_EVENTS (default 1,000,000) chained events over 10,000 accounts and 90 days in a
 * scratch database — whole verifications (started, in progress, the verdict on the vendor's scores, the
 * decision), accounts and subjects as keyed commitments, as the IdP writes them — then measures: full
 * verification (events/s), an account's 30-day query (p50/p95), a streamed JSON Lines export of everything
 * (throughput and RSS), a policy replay of everything under a tighter candidate (time and RSS), and 32
 * concurrent appenders (serialised on two instances; group commit on one and on two), with the chain
 * verified afterwards. The admin
 * connection is TEST_DATABASE_URL (or BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres);
 * the scratch database is dropped at the end.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import knexFactory from 'knex';
import pino from 'pino';
import { addAuditClient } from '../src/audit/clients.ts';
import { replayPolicy } from '../src/audit/replay.ts';
import { openDatabase, type Database } from '../src/db/connect.ts';
import { migrate } from '../src/db/migrate.ts';
import { GENESIS_HASH, chainHash, encodeBody } from '../src/ledger/chain.ts';
import { createCheckpoint } from '../src/ledger/checkpoint-signer.ts';
import { commitment } from '../src/ledger/commitments.ts';
import { exportChunks } from '../src/ledger/export.ts';
import { appendEvent, verifyChain } from '../src/ledger/ledger.ts';
import { loadKek, newKekText } from '../src/keys/kek.ts';
import { loadLedgerKey } from '../src/ledger/ledger-key.ts';
import { eventPages, queryEvents } from '../src/ledger/query.ts';
import { parsePolicy } from '../src/policy/load.ts';
import { thresholdsFor, type Policy } from '../src/policy/policy.ts';
import { startIdp } from '../src/server/app.ts';
import { configFromEnv } from '../src/server/config.ts';
import { evaluateOutcome } from '../src/verification/evaluate.ts';
import { vendorFactory } from '../src/vendors/registry.ts';
import { table } from './table.ts';
import { offCatalogue } from '../test/support/ledger-events.ts';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EVENTS = Number(process.env.BENCH_LEDGER_EVENTS ?? 1_000_000);
const ACCOUNTS = 10_000;
const DAYS = 90;
const QUERIES = 500;
const WRITERS = 32;
const SERIALISED_APPENDS = 3_200;
const GROUPED_APPENDS = 16_000;
const DAY_MS = 86_400_000;
// The checkpoint key is created here and used again by the IdP the audit API measure starts.
const KEK = newKekText();

async function main() {
  const dbName = `stepup_ledger_bench_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL });
  await admin.raw(`create database ${dbName}`);
  const url = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).href;
  const first = await openDatabase({ engine: 'postgres', url, poolMax: WRITERS + 2 });
  const second = await openDatabase({ engine: 'postgres', url, poolMax: WRITERS + 2 });
  try {
    await migrate(first);
    console.log(
      `scratch database ${dbName}: generating ${EVENTS.toLocaleString('en')} events over ${ACCOUNTS.toLocaleString('en')} accounts`,
    );
    const generated = await timed(() => generate(first));
    await first.knex.raw('vacuum analyze ledger_events');

    const verify = await best(3, () => verifyChain(first.knex));
    if (!verify.result.ok) throw new Error(`the generated chain does not verify: ${verify.result.message}`);
    const key = await loadLedgerKey(first.knex, { kek: loadKek({ from: 'env', value: KEK }) });
    const checkpoint = await timed(() => createCheckpoint(first.knex, key));

    const query = await accountQueries(first);
    const api = await auditApiQueries(first);
    const exported = await exportAll(first);
    const replayed = await replayAll(first);
    const serialised = await appenders([first, second], SERIALISED_APPENDS, (db, i) =>
      db.knex.transaction((trx) => appendEvent(trx, benchEvent(i))),
    );
    const groupedOne = await appenders([first], GROUPED_APPENDS, (db, i) => appendEvent(db.knex, benchEvent(i)));
    const grouped = await appenders([first, second], GROUPED_APPENDS, (db, i) => appendEvent(db.knex, benchEvent(i)));
    const after = await verifyChain(first.knex, { from: checkpoint.result!.seq });
    const chain = after.ok
      ? `chain valid (${after.checked.toLocaleString('en')} events after the checkpoint)`
      : `chain BROKEN at seq ${after.seq}: ${after.problem}`;

    const perSecond = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')}/s`;
    const rows = [
      [
        'generate + insert (bench setup)',
        `${EVENTS.toLocaleString('en')} events`,
        perSecond(EVENTS, generated.seconds),
        `${generated.seconds.toFixed(1)} s`,
      ],
      [
        'verify whole chain (best of 3)',
        `${verify.result.checked.toLocaleString('en')} events`,
        perSecond(verify.result.checked, verify.seconds),
        `target ≥ 300,000/s; ${verify.seconds.toFixed(2)} s`,
      ],
      [
        'sign first checkpoint (verifies all first)',
        `seq ${checkpoint.result!.seq.toLocaleString('en')}`,
        '',
        `${checkpoint.seconds.toFixed(2)} s`,
      ],
      [
        "account's 30-day query",
        `${QUERIES} accounts, ~${query.meanEvents.toFixed(0)} events each`,
        `p50 ${query.p50.toFixed(2)} ms`,
        `p95 ${query.p95.toFixed(2)} ms (target ≤ 20 ms)`,
      ],
      [
        'the same through GET /audit/events',
        `${QUERIES} accounts, ~${api.meanEvents.toFixed(0)} events each`,
        `p50 ${api.p50.toFixed(2)} ms`,
        `p95 ${api.p95.toFixed(2)} ms (DESIGN §8: ≤ 5 ms)`,
      ],
      [
        'export all, JSON Lines, streamed',
        `${exported.events.toLocaleString('en')} events`,
        perSecond(exported.events, exported.seconds),
        `RSS ${mb(exported.rssBefore)} → peak ${mb(exported.rssPeak)} → ${mb(exported.rssAfter)}`,
      ],
      [
        'policy replay of everything, tighter match floor',
        `${replayed.report.eventsRead.toLocaleString('en')} events, ${replayed.report.verifications.toLocaleString('en')} verifications`,
        `${replayed.seconds.toFixed(1)} s`,
        `${replayed.changed.toLocaleString('en')} grants → denials; RSS ${mb(replayed.rssBefore)} → peak ${mb(replayed.rssPeak)}`,
      ],
      [
        `serialised appends, ${WRITERS} writers on 2 instances`,
        `${SERIALISED_APPENDS.toLocaleString('en')} events`,
        perSecond(SERIALISED_APPENDS, serialised.seconds),
        'each in its own transaction',
      ],
      [
        `group commit, ${WRITERS} writers on 1 instance`,
        `${GROUPED_APPENDS.toLocaleString('en')} events`,
        perSecond(GROUPED_APPENDS, groupedOne.seconds),
        'target ≥ 8,000/s (DESIGN §8)',
      ],
      [
        `group commit, ${WRITERS} writers on 2 instances`,
        `${GROUPED_APPENDS.toLocaleString('en')} events`,
        perSecond(GROUPED_APPENDS, grouped.seconds),
        chain,
      ],
    ];
    console.log(
      `\nledger bench on PostgreSQL (${EVENTS.toLocaleString('en')} events, ${ACCOUNTS.toLocaleString('en')} accounts, ${DAYS} days)\n`,
    );
    console.log(table(['measure', 'size', 'rate', 'note'], rows));
  } finally {
    await first.close();
    await second.close();
    await admin.raw(`drop database if exists ${dbName}`);
    await admin.destroy();
  }
}

// The policy the generated verifications ran under (the bundled default; secrets are never used here).
// The secrets' stand-ins have the form of the sandbox's generated ones (32 characters).
const POLICY_OPTIONS = { secretFallback: () => 's'.repeat(32) };
const POLICY = parsePolicy(readFileSync('policies/default.yaml', 'utf8'), 'policies/default.yaml', POLICY_OPTIONS);
const FACE = POLICY.levels.find((l) => l.factor === 'biometric')!;
const EVENTS_PER_VERIFICATION = 4;
// Every account's commitment key, as the first append for it would have created it.
const ACCOUNT_KEYS = Array.from({ length: ACCOUNTS }, () => createSecretKey(randomBytes(32)));

// A realistic spread: each verification an account's, at one of the level's vendors, times rising with seq
// over the last DAYS days; its scores spread around the floors, so that a candidate policy changes some.
function generatedEvent(seq: number, start: number) {
  const v = Math.floor((seq - 1) / EVENTS_PER_VERIFICATION);
  const step = (seq - 1) % EVENTS_PER_VERIFICATION;
  const account = (v * 7919) % ACCOUNTS;
  const key = ACCOUNT_KEYS[account]!;
  const vendor = FACE.vendors[v % FACE.vendors.length]!;
  const reports = vendorFactory(POLICY.vendors[vendor]!.type)!.reports;
  const startedAt = start + Math.floor((v * EVENTS_PER_VERIFICATION * DAYS * DAY_MS) / EVENTS);
  const expiresAt = new Date(startedAt + FACE.captureTimeout * 1000);
  const thresholds = thresholdsFor(FACE, vendor);
  const subject = commitment(key, 'subject', `entity-${account}`);
  const scores = {
    liveness: reports.liveness ? 0.8 + ((v * 37) % 20) / 100 : null,
    match: reports.match ? 0.75 + ((v * 53) % 25) / 100 : null,
  };
  const vendorRejects = v % 10 === 0;
  const verdict = evaluateOutcome(
    {
      vendorSessionId: `session-${v}`,
      state: vendorRejects ? 'rejected' : 'approved',
      vendorStatus: vendorRejects ? 'rejected' : 'approved',
      scores: {
        ...(scores.liveness !== null ? { liveness: scores.liveness } : {}),
        ...(scores.match !== null ? { match: scores.match } : {}),
      },
      subject,
      reason: vendorRejects ? 'FACE_NOT_LIVE' : undefined,
    },
    { thresholds, subject, expiresAt, now: new Date(startedAt + 10_000) },
  );
  const change = (from: string, to: string) => ({
    from,
    to,
    vendorSessionId: `session-${v}`,
    vendorStatus: to === 'in_progress' ? 'processing' : vendorRejects ? 'rejected' : 'approved',
    scores: to === 'in_progress' ? { liveness: null, match: null } : scores,
    reportedSubject: to === 'in_progress' ? null : subject,
    reason: to === 'in_progress' ? null : (verdict.reason ?? null),
  });
  const granted = verdict.state === 'approved';
  const [type, offset, data] = [
    [
      'verification.started',
      0,
      {
        interactionUid: `i-${v}`,
        vendorType: vendor,
        expectedSubject: subject,
        thresholds,
        policyHash: POLICY.hash,
        expiresAt: expiresAt.toISOString(),
      },
    ],
    ['verification.in_progress', 2_000, change('pending', 'in_progress')],
    [`verification.${verdict.state}`, 10_000, change('in_progress', verdict.state)],
    [
      granted ? 'stepup.granted' : 'stepup.denied',
      11_000,
      {
        state: verdict.state,
        scores,
        thresholds,
        policyHash: POLICY.hash,
        reason: granted ? 'approved' : (verdict.reason ?? verdict.state),
      },
    ],
  ][step] as [string, number, Record<string, unknown>];
  return {
    seq,
    at: new Date(startedAt + offset),
    type,
    verificationId: `00000000-0000-4000-8000-${String(v).padStart(12, '0')}`,
    accountId: commitment(key, 'account', `account-${account}`),
    clientId: `client-${v % 20}`,
    acr: FACE.acr,
    vendor,
    data,
  };
}

// Chained in Node (the stored chain is a real one) and inserted 5,000 rows per statement.
async function generate(db: Database): Promise<void> {
  const keys = ACCOUNT_KEYS.map((key, i) => ({
    account_id: `account-${i}`,
    key: key.export().toString('base64url'),
    commitment: commitment(key, 'account', `account-${i}`),
  }));
  for (let i = 0; i < keys.length; i += 5_000) await db.knex('ledger_account_keys').insert(keys.slice(i, i + 5_000));
  const start = Date.now() - DAYS * DAY_MS;
  let prevHash = GENESIS_HASH;
  const BATCH = 5_000;
  for (let from = 1; from <= EVENTS; from += BATCH) {
    const seqs: number[] = [];
    const bodies: string[] = [];
    const prevs: string[] = [];
    const hashes: string[] = [];
    for (let seq = from; seq < Math.min(from + BATCH, EVENTS + 1); seq++) {
      const body = encodeBody(generatedEvent(seq, start));
      const hash = chainHash(prevHash, body);
      seqs.push(seq);
      bodies.push(body);
      prevs.push(prevHash);
      hashes.push(hash);
      prevHash = hash;
    }
    await db.knex.raw(
      'insert into ledger_events (seq, body, prev_hash, hash) select * from unnest(?::bigint[], ?::text[], ?::text[], ?::text[])',
      [seqs, bodies, prevs, hashes],
    );
    if ((from - 1) % 100_000 === 0) process.stdout.write(`  ${(from - 1).toLocaleString('en')}…\r`);
  }
}

function accountQueries(db: Database) {
  return timeAccountQueries(
    async (account, from, to) => (await queryEvents(db.queries, { account, from, to }, { limit: 100 })).events.length,
  );
}

// The bundled IdP on the scratch database, an auditor client of its own, and the same questions over HTTP
// with a bearer token: what an auditor's tool waits for.
async function auditApiQueries(db: Database) {
  const config = configFromEnv({ STEPUP_KEK: KEK }, { port: 0, host: '127.0.0.1', policyFile: 'policies/default.yaml', sandbox: true });
  const idp = await startIdp(config, { db, logger: pino({ level: 'silent' }) });
  try {
    const { clientId, clientSecret } = await addAuditClient(db, 'bench-auditor');
    const grant = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'audit:read' }),
    });
    const { access_token: token } = (await grant.json()) as { access_token: string };
    return await timeAccountQueries(async (account, from, to) => {
      const query = new URLSearchParams({ account, from: from.toISOString(), to: to.toISOString(), limit: '100' });
      const res = await fetch(`${idp.issuer}/audit/events?${query}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET /audit/events: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { events: unknown[] }).events.length;
    });
  } finally {
    await idp.close();
  }
}

// QUERIES random accounts' last 30 days, one at a time; `run` returns how many events it got.
async function timeAccountQueries(run: (account: string, from: Date, to: Date) => Promise<number>) {
  const now = new Date();
  const since = new Date(now.getTime() - 30 * DAY_MS);
  const times: number[] = [];
  let events = 0;
  for (let i = 0; i < QUERIES; i++) {
    const account = `account-${Math.floor(Math.random() * ACCOUNTS)}`;
    const t0 = performance.now();
    events += await run(account, since, now);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p95: at(0.95), meanEvents: events / QUERIES };
}

async function exportAll(db: Database) {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  let events = 0;
  const t0 = performance.now();
  await pipeline(Readable.from(exportChunks(eventPages(db.knex, {}), 'jsonl', (n) => (events += n))), createWriteStream('/dev/null'));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  return { events, seconds, rssBefore, rssPeak, rssAfter: process.memoryUsage().rss };
}

// Everything replayed under the policy with a tighter match floor, in bounded memory.
async function replayAll(db: Database) {
  const candidate: Policy = parsePolicy(
    readFileSync('policies/default.yaml', 'utf8').replace('match: 0.85', 'match: 0.9'),
    'candidate.yaml',
    POLICY_OPTIONS,
  );
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const report = await replayPolicy(db.knex, candidate, { from: new Date(Date.now() - (DAYS + 1) * DAY_MS), to: new Date() });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const changed = report.grantsToDenials.reduce((n, g) => n + g.count, 0);
  return { report, seconds, changed, rssBefore, rssPeak };
}

// WRITERS concurrent loops, half on each instance (its own connection pool), appending `total` events.
async function appenders(instances: Database[], total: number, append: (db: Database, i: number) => Promise<unknown>) {
  let next = 0;
  return timed(() =>
    Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const db = instances[w % instances.length]!;
        while (next < total) await append(db, next++);
      }),
    ),
  );
}

function benchEvent(i: number) {
  return offCatalogue({
    type: 'bench.append',
    accountId: `account-${i % ACCOUNTS}`,
    clientId: 'bench',
    data: { i, scores: { liveness: 0.9, match: 0.9 } },
  });
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const t0 = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

async function best<T>(runs: number, work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  let fastest: { result: T; seconds: number } | undefined;
  for (let i = 0; i < runs; i++) {
    const run = await timed(work);
    if (!fastest || run.seconds < fastest.seconds) fastest = run;
  }
  return fastest!;
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
