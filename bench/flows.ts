/**
 * `npm run bench [-- --check] [-- --cpu-prof] [-- --only anchor,sso,stepup,webhooks]`: the IdP's server cost
 * next to a plain oidc-provider, side by side in one run on PostgreSQL (DESIGN §8).
 *
 * Three server processes, each on a scratch database: the IdP (`stepup serve`), the vendor emulators
 * (`stepup sandbox`, so the IdP's CPU is its own) and the anchor (bench/anchor.ts, a minimal oidc-provider
 * with the same adapter). This process drives them over real HTTP. Each flow (anchor code flow with one
 * login, SSO code flow, step-up) runs at c=1 and c=32; per run: the server's CPU per flow (/proc), flows/s,
 * p50/p95 latency, the server's peak RSS, and its SQL statements and adapter calls per flow. Then webhook
 * ingestion at c=32. `--check` exits non-zero when a bar is missed.
 *
 * Environment: BENCH_DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_FLOWS_SERIAL (flows at c=1, default 60), BENCH_FLOWS (flows at c=32, default 320),
 * BENCH_WEBHOOKS (default 4000), BENCH_PORT (first of three ports, default 3190).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import knexFactory from 'knex';
import { newKekText } from '../src/keys/kek.ts';
import { externalSandboxSecrets, startSandboxProcess } from '../test/support/sandbox-process.ts';
import { ANCHOR_CLIENT } from './anchor.ts';
import { countsFromMetrics, measureRun, type Run, type WorkCounts } from './measure.ts';
import { benchRp, browserFor, enrolPeople, passwordFlow, PASSWORD_ACR, ssoFlow, stepUpFlow, type BenchRp } from './oidc-flows.ts';
import { ROOT, startServerProcess } from './processes.ts';
import { topSelfTime } from './profile.ts';
import { createScratchDatabases } from './scratch-db.ts';
import { barRows, flowRows, adapterRows } from './report.ts';
import { table } from './table.ts';
import { webhookRun } from './webhooks.ts';

const PHASES = ['anchor', 'sso', 'stepup', 'webhooks'] as const;
const { values: args } = parseArgs({
  options: {
    check: { type: 'boolean' },
    'cpu-prof': { type: 'boolean' },
    'sql-trace': { type: 'boolean' },
    only: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (args.help) {
  console.log('usage: node bench/flows.ts [--check] [--cpu-prof] [--sql-trace] [--only anchor,sso,stepup,webhooks]');
  process.exit(0);
}
const only = new Set(args.only ? args.only.split(',') : PHASES);
for (const phase of only) if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`--only takes ${PHASES.join(', ')}`);

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FLOWS = { 1: Number(process.env.BENCH_FLOWS_SERIAL ?? 60), 32: Number(process.env.BENCH_FLOWS ?? 320) };
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 4000);
const WARMUP = 20;
const PORT = Number(process.env.BENCH_PORT ?? 3190);
const ISSUER = `http://127.0.0.1:${PORT}`;
const ANCHOR = `http://127.0.0.1:${PORT + 2}`;
const POLICY = path.join(ROOT, 'policies/external-sandbox.yaml');
const SECRETS = externalSandboxSecrets();

async function main() {
  const loadBefore = loadavg()[0]!;
  const scratch = await createScratchDatabases(ADMIN_URL, ['idp', 'sandbox', 'anchor']);
  const profileDir = args['cpu-prof'] ? mkdtempSync(path.join(tmpdir(), 'stepup-bench-prof-')) : undefined;
  const traceDir = args['sql-trace'] ? mkdtempSync(path.join(tmpdir(), 'stepup-bench-sql-')) : undefined;
  const started: Array<{ stop(): Promise<void> }> = [];
  const idpKnex = knexFactory({ client: 'pg', connection: scratch.urls.idp, pool: { min: 0, max: 4 } });
  const sandboxKnex = knexFactory({ client: 'pg', connection: scratch.urls.sandbox, pool: { min: 0, max: 2 } });
  try {
    const sandbox = await startSandboxProcess(['--port', String(PORT + 1), '--policy', POLICY, '--idp', ISSUER], {
      ...process.env,
      ...SECRETS,
      DATABASE_URL: scratch.urls.sandbox,
      LOG_LEVEL: 'error',
    });
    started.push(sandbox);
    const idp = await startServerProcess(
      [
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ...(traceDir ? ['--import', './bench/sql-trace.ts'] : []),
        'src/cli/main.ts',
        'serve',
      ],
      {
        ...process.env,
        ...SECRETS,
        ...sandbox.baseUrls,
        DATABASE_URL: scratch.urls.idp,
        STEPUP_POLICY: POLICY,
        STEPUP_KEK: newKekText(),
        PORT: String(PORT),
        HOST: '127.0.0.1',
        ISSUER,
        // Gu1's "session created" webhook can reach the IdP before its verification row: refused, with a warning each.
        LOG_LEVEL: 'error',
        ...(traceDir ? { BENCH_SQL_TRACE_DIR: traceDir } : {}),
      },
      `${ISSUER}/readyz`,
    );
    started.push(idp);
    const anchor = await startServerProcess(
      ['bench/anchor.ts'],
      { ...process.env, DATABASE_URL: scratch.urls.anchor, PORT: String(PORT + 2) },
      `${ANCHOR}/.well-known/openid-configuration`,
    );
    started.push(anchor);
    console.log(`IdP ${ISSUER} (pid ${idp.pid}), sandbox ${sandbox.url} (pid ${sandbox.child.pid}), anchor ${ANCHOR} (pid ${anchor.pid})`);

    const idpServer = {
      pid: idp.pid,
      sidePid: sandbox.child.pid!,
      counts: async () => countsFromMetrics(await (await fetch(`${ISSUER}/metrics`)).text()),
      // With --sql-trace, the IdP records the statements of each measured run (bench/sql-trace.ts).
      mark: traceDir ? () => process.kill(idp.pid, 'SIGUSR2') : undefined,
    };
    const anchorServer = { pid: anchor.pid, counts: async () => (await (await fetch(`${ANCHOR}/bench/counts`)).json()) as WorkCounts };
    const demoSecret = (await idpKnex('settings').where({ key: 'demo_rp_secret' }).first('value')).value as string;
    const idpRp = await benchRp(ISSUER, 'demo-rp', demoSecret, '/demo/callback');
    const anchorRp = await benchRp(ANCHOR, ANCHOR_CLIENT.client_id, ANCHOR_CLIENT.client_secret, ANCHOR_CLIENT.redirect_uri);

    const runs = new Map<string, Run>();
    for (const c of [1, 32] as const) {
      const n = FLOWS[c];
      const warm = c === 1 ? WARMUP : 0; // the first run of each flow also warms the server up, unmeasured
      if (only.has('anchor')) {
        const flow = (i: number) => passwordFlow(anchorRp, browserFor(anchorRp), `c${c}-${i}`);
        await each(warm, (i) => flow(n + i));
        runs.set(`anchor c=${c}`, await measureRun(anchorServer, n, c, flow));
        report(`anchor c=${c}`, runs);
      }
      if (only.has('sso')) {
        const browsers = await signedIn(idpRp, await enrolPeople(idpKnex, `sso${c}`, c));
        await each(warm, (i) => ssoFlow(idpRp, browsers[i % c]!));
        runs.set(`sso c=${c}`, await measureRun(idpServer, n, c, (_, worker) => ssoFlow(idpRp, browsers[worker]!)));
        report(`sso c=${c}`, runs);
      }
      if (only.has('stepup')) {
        // A person steps up once per session: every flow has a person of its own, signed in beforehand.
        const browsers = await signedIn(idpRp, await enrolPeople(idpKnex, `up${c}`, n + warm));
        await each(warm, (i) => stepUpFlow(idpRp, browsers[n + i]!, sandbox.url));
        runs.set(`stepup c=${c}`, await measureRun(idpServer, n, c, (i) => stepUpFlow(idpRp, browsers[i]!, sandbox.url)));
        report(`stepup c=${c}`, runs);
      }
    }
    let webhooks: (Run & { chain: string }) | undefined;
    if (only.has('webhooks')) {
      webhooks = await webhookRun(
        { idp: { ...idpServer, issuer: ISSUER, knex: idpKnex }, sandboxKnex, webhookSecret: SECRETS.GU1_WEBHOOK_SECRET! },
        WEBHOOKS,
        32,
      );
      runs.set('webhooks c=32', webhooks);
    }

    console.log(
      `\nbench on PostgreSQL: ${FLOWS[1]} flows at c=1, ${FLOWS[32]} at c=32, ${WEBHOOKS} webhooks at c=32; each server in its own process;\n1-min load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (other work on the machine inflates the CPU figures)\n`,
    );
    console.log(
      table(
        ['run', 'server CPU / flow', 'sandbox CPU / flow', 'flows/s', 'p50', 'p95', 'peak RSS', 'SQL / flow', 'adapter calls / flow'],
        flowRows(runs),
      ),
    );
    console.log('');
    const bars = barRows(runs, webhooks);
    console.log(table(['bar', 'measured', 'target', 'result'], bars));
    console.log('\nadapter calls per flow (c=1):\n');
    console.log(table(['model method', 'anchor', 'SSO', 'step-up'], adapterRows(runs)));
    if (args.check && bars.some((row) => row[3] === 'MISS')) process.exitCode = 1;
  } finally {
    for (const server of started.reverse()) await server.stop();
    await idpKnex.destroy();
    await sandboxKnex.destroy();
    await scratch.drop();
  }
  if (traceDir) console.log(`\nIdP statements of each measured run, most frequent first: ${traceDir}/trace-<n>.txt (in run order)`);
  if (profileDir) {
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    for (const file of files) {
      console.log(`\nIdP CPU profile: ${path.join(profileDir, file)} (open in Chrome DevTools › Performance); top self time:\n`);
      const rows = topSelfTime(path.join(profileDir, file)).map(([ms, share, where]) => [
        `${ms.toFixed(0)} ms`,
        `${(share * 100).toFixed(1)} %`,
        where,
      ]);
      console.log(table(['self time', 'share', 'function'], rows));
    }
  }
}

/** Signs each person in with their password (unmeasured: the scrypt is not what the bench is about). */
async function signedIn(rp: BenchRp, people: string[]) {
  const browsers = people.map(() => browserFor(rp));
  await each(people.length, (i) => passwordFlow(rp, browsers[i]!, people[i]!, PASSWORD_ACR), 8);
  return browsers;
}

async function each(count: number, run: (i: number) => Promise<void>, concurrency = 4): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await run(next++);
    }),
  );
}

function report(name: string, runs: Map<string, Run>) {
  const run = runs.get(name)!;
  console.log(`${name}: ${run.cpuMsPerFlow.toFixed(2)} ms CPU/flow, ${run.perSecond.toFixed(1)} flows/s, p95 ${run.p95Ms.toFixed(0)} ms`);
}

main().catch((error) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
