/**
 * `npm run bench`: server cost of a biometric step-up flow next to a plain password login flow, and
 * webhook ingestion throughput, measured side by side in one run against PostgreSQL (DESIGN §8).
 *
 * The IdP runs in a child process so its CPU time (from /proc) is the server's alone; the RP and the
 * browser are driven from this process over real HTTP. BENCH_DATABASE_URL names an admin connection
 * (default postgres://postgres@127.0.0.1:5432/postgres); a scratch database is created and dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import * as oidc from 'openid-client';
import { ALICE_GU1_ENTITY } from '../src/accounts/demo.ts';
import { hashPassword } from '../src/accounts/passwords.ts';
import { verifyChain } from '../src/ledger/ledger.ts';
import { Browser } from '../test/support/browser.ts';
import { table } from './table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FLOWS = Number(process.env.BENCH_FLOWS ?? 150);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 2000);
const CONCURRENCY = 4;
const WEBHOOK_CONCURRENCY = 32;
const PORT = Number(process.env.BENCH_PORT ?? 3190);
const ISSUER = `http://127.0.0.1:${PORT}`;
const SECRETS = { GU1_API_KEY: 'bench-gu1-key', GU1_WEBHOOK_SECRET: 'bench-gu1-webhook-secret' };
const FACE = 'urn:stepup:acr:face';

async function main() {
  const dbName = `stepup_bench_${Date.now()}`;
  console.log(`creating scratch database ${dbName}`);
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL });
  await admin.raw(`create database ${dbName}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const knex = knexFactory({ client: 'pg', connection: url.href, pool: { min: 0, max: 4 } });
  const server = await startServer(url.href);
  try {
    const clientSecret = (await knex('settings').where({ key: 'demo_rp_secret' }).first('value')).value as string;
    const config = await oidc.discovery(new URL(ISSUER), 'demo-rp', clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });

    // One person per browser: a person has one capture at a time, as vendors like Gu1 require.
    const people = await enrolPeople(knex, FLOWS);
    const browsers = people.map((username) => ({ username, browser: new Browser(ISSUER, (url) => url.pathname === '/demo/callback') }));
    const login = await measure(server, () => pool(browsers, CONCURRENCY, (p) => loginFlow(config, p.browser, p.username)));
    const stepUp = await measure(server, () => pool(browsers, CONCURRENCY, (p) => stepUpFlow(config, p.browser)));
    const webhooks = await webhookBench(knex, server);

    const rows = [
      ['password login flow', `${(login.cpuMs / FLOWS).toFixed(2)} ms CPU`, `${(FLOWS / login.seconds).toFixed(1)} flows/s`, ''],
      [
        'step-up flow (sandbox, instant approval)',
        `${(stepUp.cpuMs / FLOWS).toFixed(2)} ms CPU`,
        `${(FLOWS / stepUp.seconds).toFixed(1)} flows/s`,
        `ratio ${(stepUp.cpuMs / login.cpuMs).toFixed(2)}× (target ≤ 1.5×)`,
      ],
      [
        'webhook ingestion (auth + re-fetch + transition + ledger)',
        `${(webhooks.cpuMs / WEBHOOKS).toFixed(2)} ms CPU`,
        `${(WEBHOOKS / webhooks.seconds).toFixed(0)} webhooks/s`,
        `target ≥ 2000/s; chain ${webhooks.chain}`,
      ],
    ];
    console.log(
      `\nbench on PostgreSQL, ${FLOWS} flows (concurrency ${CONCURRENCY}), ${WEBHOOKS} webhooks (concurrency ${WEBHOOK_CONCURRENCY})\n`,
    );
    console.log(table(['measure', 'server CPU per item', 'throughput', 'note'], rows));
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await knex.destroy();
    await admin.raw(`drop database if exists ${dbName}`);
    await admin.destroy();
  }
}

function startServer(databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...SECRETS, DATABASE_URL: databaseUrl, PORT: String(PORT), HOST: '127.0.0.1', ISSUER, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return (async () => {
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${ISSUER}/readyz`).catch(() => undefined))?.ok) return child;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill();
    throw new Error('the IdP did not become ready');
  })();
}

/** Server CPU milliseconds (user + system, from /proc) and wall seconds spent in `work`. */
async function measure(server: ChildProcess, work: () => Promise<unknown>) {
  const cpu = () => {
    const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  };
  const cpu0 = cpu();
  const t0 = performance.now();
  await work();
  return { cpuMs: cpu() - cpu0, seconds: (performance.now() - t0) / 1000 };
}

async function pool<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

async function authorize(config: oidc.Configuration, params: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${ISSUER}/demo/callback`,
    scope: 'openid',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  });
  return {
    url: url.href,
    finish: (callback: string) =>
      oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state }),
  };
}

// The demo RP's redirect_uri is on the IdP's origin, so the browser stops there by matching the path.
async function followToCallback(browser: Browser, url: string, form?: Record<string, string>) {
  const page = form ? await browser.post(url, form) : await browser.get(url);
  const callback = page.leftTo;
  if (!callback) throw new Error(`flow did not reach the callback: ${page.url} ${page.body.slice(0, 200)}`);
  return callback;
}

async function enrolPeople(knex: Knex, count: number): Promise<string[]> {
  const passwordHash = await hashPassword('bench'); // one hash for all: the bench measures flows, not scrypt setup
  const people = Array.from({ length: count }, (_, i) => ({ id: `bench-${i}`, username: `bench-${i}`, password_hash: passwordHash }));
  await knex('accounts').insert(people);
  await knex('vendor_subjects').insert(people.map((p) => ({ account_id: p.id, vendor: 'gu1', subject: randomUUID() })));
  return people.map((p) => p.username);
}

async function loginFlow(config: oidc.Configuration, browser: Browser, username: string) {
  const request = await authorize(config);
  const page = await browser.get(request.url);
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page.body)![1]!;
  const tokens = await request.finish(await followToCallback(browser, action, { username, password: 'bench' }));
  if (tokens.claims()?.acr !== 'urn:stepup:acr:password') throw new Error('unexpected acr after login');
}

async function stepUpFlow(config: oidc.Configuration, browser: Browser) {
  const request = await authorize(config, { acr_values: FACE });
  const page = await browser.get(request.url);
  const sessionId = /\/sandbox\/gu1\/session\/([^"/]+)"/.exec(page.body)![1]!;
  await fetch(`${ISSUER}/sandbox/gu1/control/${sessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"outcome":"approve"}',
  });
  const uid = /\/interaction\/([^/]+)\/stepup/.exec(page.url)![1]!;
  const tokens = await request.finish(await followToCallback(browser, `/interaction/${uid}/stepup/return`));
  if (tokens.claims()?.acr !== FACE) throw new Error('unexpected acr after step-up');
}

/** Open verifications whose Gu1 sessions are already approved; each webhook then causes one transition. */
async function webhookBench(knex: Knex, server: ChildProcess) {
  const policyHash = (await knex('verifications').first('policy_hash'))!.policy_hash as string;
  const now = new Date();
  const ids = Array.from({ length: WEBHOOKS }, () => randomUUID());
  const at = now.toISOString();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await knex('sandbox_sessions').insert(
      chunk.map((id) => ({
        vendor: 'gu1',
        id,
        data: JSON.stringify({
          id,
          entityId: ALICE_GU1_ENTITY,
          organizationId: '0b7d2a3e-51c3-4a0e-9d0e-2f7f1c7b9a10',
          status: 'approved',
          iframeAllow: 'camera',
          mode: 'face_match',
          hostedSessionId: id,
          createdAt: at,
          updatedAt: at,
          completedAt: at,
          decision: { faceMatch: { score: 97, threshold: 30 }, liveness: { score: 96, passed: true } },
          language: 'en',
          expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
        }),
      })),
    );
    // Each as if a person were at its step-up page: a live interaction, so the poll worker leaves it be.
    await knex('oidc_payloads').insert(
      chunk.map((id) => ({ model: 'Interaction', id: `bench-${id}`, payload: '{}', expires_at: new Date(now.getTime() + 3600_000) })),
    );
    await knex('verifications').insert(
      chunk.map((id) => ({
        id: randomUUID(),
        interaction_uid: `bench-${id}`,
        account_id: 'alice',
        client_id: 'demo-rp',
        acr: FACE,
        vendor: 'gu1',
        vendor_type: 'gu1',
        vendor_session_id: id,
        expected_subject: ALICE_GU1_ENTITY,
        state: 'pending',
        policy_hash: policyHash,
        thresholds: JSON.stringify({ liveness: 0.9, match: 0.85 }),
        created_at: now,
        updated_at: now,
        expires_at: new Date(now.getTime() + 3600_000),
      })),
    );
  }
  const result = await measure(server, () =>
    pool(ids, WEBHOOK_CONCURRENCY, async (id) => {
      const body = JSON.stringify({
        event: 'biometric.session_approved',
        timestamp: new Date().toISOString(),
        organizationId: 'org',
        payload: { id, status: 'approved' },
      });
      const signature = createHmac('sha256', SECRETS.GU1_WEBHOOK_SECRET).update(body).digest('hex');
      const res = await fetch(`${ISSUER}/stepup/webhooks/gu1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
        body,
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      await res.arrayBuffer();
    }),
  );
  const approved = await knex('verifications')
    .whereIn('vendor_session_id', ids)
    .where({ state: 'approved' })
    .count<{ n: number }[]>({ n: '*' });
  if (Number(approved[0]!.n) !== ids.length) throw new Error(`only ${approved[0]!.n} of ${ids.length} verifications were approved`);
  const chain = await verifyChain(knex);
  return { ...result, chain: chain.ok ? `valid (${chain.checked} events)` : `BROKEN at ${chain.seq}` };
}

main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
