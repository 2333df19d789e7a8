/**
 * `npm run bench:soak`: 32 concurrent step-ups for SOAK_SECONDS (default 180) against two IdP instances,
 * child processes sharing one scratch PostgreSQL database; halfway through one is killed with SIGKILL and
 * started again. Reports flows completed, errors, whether every verification started reached a terminal
 * state (after the poll worker has had time to expire the ones the kill interrupted), and each instance's
 * RSS over time. BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 * names an admin connection; the scratch database is created and dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import * as oidc from 'openid-client';
import { hashPassword } from '../src/accounts/passwords.ts';
import { newKekText } from '../src/keys/kek.ts';
import { verifyChain } from '../src/ledger/ledger.ts';
import { Browser } from '../test/support/browser.ts';
import { table } from './table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const CONCURRENCY = 32;
const PORTS = [Number(process.env.BENCH_PORT ?? 3290), Number(process.env.BENCH_PORT ?? 3290) + 1];
const FACE = 'urn:stepup:acr:face';
// Short, so verifications the kill interrupts expire (a terminal state) soon after the run.
const CAPTURE_TIMEOUT_S = 60;
const SAMPLE_MS = 5000;

/** One IdP child process, on its own port and issuer. */
interface Instance {
  port: number;
  issuer: string;
  child?: ChildProcess;
  up: boolean;
  config?: oidc.Configuration;
}

async function main() {
  const dbName = `stepup_soak_${Date.now()}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL });
  await admin.raw(`create database ${dbName}`);
  const url = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).href;
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
  const dir = mkdtempSync(path.join(tmpdir(), 'stepup-soak-'));
  const policy = path.join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    readFileSync(path.join(ROOT, 'policies/default.yaml'), 'utf8').replace(/captureTimeout: \w+/, `captureTimeout: ${CAPTURE_TIMEOUT_S}s`),
  );
  const env = { DATABASE_URL: url, STEPUP_POLICY: policy, STEPUP_KEK: newKekText(), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const instances: Instance[] = PORTS.map((port) => ({ port, issuer: `http://127.0.0.1:${port}`, up: false }));
  const rss: Array<{ t: number; mb: Array<number | undefined> }> = [];
  // Times are reported from the start of the load.
  let t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  try {
    // Both start together on the empty database: the shared start is part of what is soaked.
    await Promise.all(instances.map((i) => start(i, env)));
    const clientSecret = (await knex('settings').where({ key: 'demo_rp_secret' }).first('value')).value as string;
    for (const i of instances)
      i.config = await oidc.discovery(new URL(i.issuer), 'demo-rp', clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const people = await enrolPeople(knex, CONCURRENCY);
    t0 = performance.now();

    const sampler = setInterval(
      () => rss.push({ t: elapsed(), mb: instances.map((i) => (i.up ? rssMb(i.child!) : undefined)) }),
      SAMPLE_MS,
    );
    const deadline = performance.now() + SECONDS * 1000;
    let completed = 0;
    const errors: Array<{ t: number; instance: number; message: string }> = [];
    const workers = people.map(async (username, w) => {
      while (performance.now() < deadline) {
        // Like a load balancer: each person's flows go to one instance, to the other while it is down.
        const index = instances[w % 2]!.up ? w % 2 : 1 - (w % 2);
        try {
          await stepUpFlow(instances[index]!, username);
          completed++;
        } catch (error) {
          errors.push({ t: elapsed(), instance: index, message: (error as Error).message.slice(0, 100) });
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    });
    const chaos = (async () => {
      await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2));
      const victim = instances[1]!;
      victim.up = false;
      victim.child!.kill('SIGKILL');
      console.log(`${elapsed().toFixed(0)} s: instance ${victim.port} killed (SIGKILL)`);
      await new Promise((r) => victim.child!.once('exit', r));
      await start(victim, env);
      console.log(`${elapsed().toFixed(0)} s: instance ${victim.port} serving again`);
    })();
    await Promise.all([...workers, chaos]);
    const loadEnded = elapsed();

    // Interrupted captures expire after CAPTURE_TIMEOUT_S; the poll workers (every 2 s) record that.
    const settleBy = performance.now() + (CAPTURE_TIMEOUT_S + 60) * 1000;
    let states: Record<string, number> = {};
    for (;;) {
      states = Object.fromEntries(
        ((await knex('verifications').select('state').count({ n: '*' }).groupBy('state')) as Array<{ state: string; n: string }>).map(
          (r) => [r.state, Number(r.n)],
        ),
      );
      if (!states.pending && !states.in_progress) break;
      if (performance.now() > settleBy) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    clearInterval(sampler);
    const started = Object.values(states).reduce((a, b) => a + b, 0);
    const open = (states.pending ?? 0) + (states.in_progress ?? 0);
    const chain = await verifyChain(knex);

    console.log(
      `\nsoak on PostgreSQL: ${CONCURRENCY} concurrent step-ups for ${SECONDS} s on 2 instances (one SIGKILLed and restarted at ${SECONDS / 2} s)\n`,
    );
    console.log(
      table(
        ['measure', 'value'],
        [
          ['flows completed (login + Gu1 step-up + code exchange)', `${completed} (${(completed / SECONDS).toFixed(1)}/s)`],
          ['flows failed', `${errors.length}${summarise(errors)}`],
          ['verifications started', String(started)],
          [
            'verifications in a terminal state',
            `${started - open} (${Object.entries(states)
              .map(([s, n]) => `${s} ${n}`)
              .join(', ')})`,
          ],
          ['verifications lost (still open)', `${open}, ${(elapsed() - loadEnded).toFixed(0)} s after the load ended`],
          ['ledger', chain.ok ? `valid (${chain.checked} events)` : `BROKEN at seq ${chain.seq}: ${chain.message}`],
        ],
      ),
    );
    const step = Math.max(1, Math.floor(rss.length / 12));
    console.log(`\nRSS (MB), sampled every ${(step * SAMPLE_MS) / 1000} s\n`);
    console.log(
      table(
        ['t (s)', ...instances.map((i) => `instance ${i.port}`)],
        rss
          .filter((_, k) => k % step === 0 || k === rss.length - 1)
          .map((s) => [s.t.toFixed(0), ...s.mb.map((m) => (m === undefined ? '(down)' : m.toFixed(0)))]),
      ),
    );
    if (open > 0 || !chain.ok) process.exitCode = 1;
  } finally {
    for (const i of instances) i.child?.kill('SIGTERM');
    await Promise.all(
      instances.map((i) =>
        i.child && i.child.exitCode === null && i.child.signalCode === null ? new Promise((r) => i.child!.once('exit', r)) : undefined,
      ),
    );
    await knex.destroy();
    await admin.raw(`drop database if exists ${dbName}`);
    await admin.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function start(instance: Instance, env: Record<string, string>): Promise<void> {
  instance.child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(instance.port), ISSUER: instance.issuer },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let k = 0; k < 150; k++) {
    if ((await fetch(`${instance.issuer}/readyz`).catch(() => undefined))?.ok) {
      instance.up = true;
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`instance ${instance.port} did not become ready`);
}

function rssMb(child: ChildProcess): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function enrolPeople(knex: Knex, count: number): Promise<string[]> {
  const passwordHash = await hashPassword('soak');
  const people = Array.from({ length: count }, (_, i) => ({ id: `soak-${i}`, username: `soak-${i}`, password_hash: passwordHash }));
  await knex('accounts').insert(people);
  await knex('vendor_subjects').insert(people.map((p) => ({ account_id: p.id, vendor: 'gu1', subject: randomUUID() })));
  return people.map((p) => p.username);
}

// A new browser each time: password login and a Gu1 capture (approved through the sandbox's control
// endpoint) in one authorization request, then the code exchange.
async function stepUpFlow(instance: Instance, username: string): Promise<void> {
  const config = instance.config!;
  const browser = new Browser(instance.issuer, (url) => url.pathname === '/demo/callback');
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorization = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${instance.issuer}/demo/callback`,
    scope: 'openid',
    state,
    acr_values: FACE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const login = await browser.get(authorization.href);
  const action = /action="(\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1];
  if (!action) throw new Error(`no login form (${login.status})`);
  const stepUp = await browser.post(action, { username, password: 'soak' });
  const sessionId = /\/sandbox\/gu1\/session\/([^"/]+)"/.exec(stepUp.body)?.[1];
  if (!sessionId) throw new Error(`no Gu1 capture on the step-up page (${stepUp.status})`);
  const control = await fetch(`${instance.issuer}/sandbox/gu1/control/${sessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"outcome":"approve"}',
  });
  if (control.status !== 200) throw new Error(`sandbox control answered ${control.status}`);
  const uid = /\/interaction\/([^/]+)\/stepup/.exec(stepUp.url)![1]!;
  const done = await browser.get(`/interaction/${uid}/stepup/return`);
  if (!done.leftTo) throw new Error(`step-up did not reach the callback (${done.status})`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.leftTo), { pkceCodeVerifier: verifier, expectedState: state });
  if (tokens.claims()?.acr !== FACE) throw new Error('unexpected acr after step-up');
}

function summarise(errors: Array<{ t: number; instance: number; message: string }>): string {
  if (errors.length === 0) return '';
  const byMessage = new Map<string, { n: number; first: number; last: number }>();
  for (const e of errors) {
    const kind = e.message.replace(/[0-9a-f-]{36}|\d+/g, '…');
    const seen = byMessage.get(kind) ?? { n: 0, first: e.t, last: e.t };
    byMessage.set(kind, { n: seen.n + 1, first: Math.min(seen.first, e.t), last: Math.max(seen.last, e.t) });
  }
  return `: ${[...byMessage].map(([kind, s]) => `${s.n}× "${kind}" (${s.first.toFixed(0)}–${s.last.toFixed(0)} s)`).join('; ')}`;
}

main().catch((error) => {
  console.error(`soak: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
