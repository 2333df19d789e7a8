import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Middleware } from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';
import pino, { type Logger } from 'pino';
import { seedDemoAccounts } from '../accounts/demo.ts';
import { AccountStore } from '../accounts/store.ts';
import { openDatabase, type Database } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { securityHeaders } from '../http/security-headers.ts';
import type { Policy } from '../policy/policy.ts';
import { vendorSandbox } from '../sandbox/registry.ts';
import { stepUp, type StepUp } from '../plugin.ts';
import { auditRoutes } from '../audit/routes.ts';
import { loadLedgerKey } from '../ledger/ledger-key.ts';
import { startCheckpoints } from './checkpoint-timer.ts';
import type { ServerConfig } from './config.ts';
import { createMetrics, healthRoutes } from './health.ts';
import { startHousekeeping } from './housekeeping.ts';
import { loadKek, type Kek } from '../keys/kek.ts';
import { loadCookieKeys, loadSigningKeys, providerKeys } from './keys.ts';
import { followSigningKeys } from './provider-keys.ts';
import { prepareConsole } from './console.ts';
import { prepareDemo } from './demo/mount.ts';
import type { ReloadOutcome } from '../policy/reload.ts';
import { createProvider } from './provider.ts';
import { sandboxSecretFallback } from './sandbox-secrets.ts';
import type { Clock } from '../util/clock.ts';

/** A running bundled IdP. */
export interface RunningIdp {
  issuer: string;
  port: number;
  server: Server;
  provider: Provider;
  stepup: StepUp;
  /** The bundled account store (add accounts, link vendor references). */
  accounts: AccountStore;
  db: Database;
  /** The key-encryption key the instance's private keys are sealed with. */
  kek: Kek;
  /** Looks for signing keys added or activated since the last look (done every `keyRefreshMs` anyway). */
  refreshKeys(): Promise<void>;
  policy(): Policy;
  /** Reads the policy file again (what SIGHUP does); an invalid file is refused and the running policy stays. */
  reloadPolicy(): Promise<ReloadOutcome>;
  close(): Promise<void>;
}

/** Extra wiring for tests and embedding; production uses the defaults. */
export interface StartOptions {
  /** An already-open database (tests share one per file); otherwise `config.database` is opened. */
  db?: Database;
  logger?: Logger;
  /** Used for every outbound vendor and sandbox call. */
  fetch?: typeof globalThis.fetch;
  /** The step-up plugin's clock (tests move it); the wall clock by default. */
  now?: Clock;
}

/**
 * Starts the bundled IdP: migrations, keys, policy, provider, step-up routes, sandbox vendors, demo RP
 * and API. The port is bound first so the issuer can default to the real port (PORT=0 in tests).
 */
export async function startIdp(config: ServerConfig, options: StartOptions = {}): Promise<RunningIdp> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  // Before anything else: without a usable KEK nothing can start.
  const kek = loadKek(config.kek);
  // The port is bound before the app exists; until it does, requests get a 503 rather than silence.
  let handle: RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"status":"starting"}');
  };
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.port, config.host, resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = config.issuer ?? `http://${['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host}:${port}`;
  const internalBase = `http://127.0.0.1:${port}`;

  const db = options.db ?? (await openDatabase(config.database, { logger }));
  let started: StepUp | undefined; // closed if the start fails below
  try {
    await migrate(db);
    const secretFallback = config.sandbox ? await sandboxSecretFallback(db.knex) : undefined;
    const metrics = createMetrics();
    const accounts = new AccountStore(db.knex);
    const stepup = await stepUp({
      db,
      accounts,
      issuer,
      policy: { file: config.policyFile, secretFallback },
      fetch: options.fetch,
      now: options.now,
      sandboxBaseUrl: config.sandbox
        ? (type) => ({ api: `${internalBase}/sandbox/${type}`, browser: `${issuer}/sandbox/${type}` })
        : undefined,
      observer: metrics.observer,
      logger,
      webhookRateLimit: config.webhookRateLimit,
      demo: config.sandbox,
    });
    started = stepup;
    const policy = stepup.policy;
    // Sandbox mode is for trying the IdP: demo accounts, the demo RP and API exist only there.
    const demo = config.sandbox ? await prepareDemo({ issuer, db, policy: () => policy() }) : undefined;
    if (demo) await seedDemoAccounts(accounts);
    const signingKeys = await loadSigningKeys(db.knex, kek);
    const cookieKeys = await loadCookieKeys(db.knex, kek);
    const ledgerKey = await loadLedgerKey(db.knex, { file: config.ledgerKeyFile, kek });
    const providerKeysNow = providerKeys(signingKeys, new Date());
    const auditConsole = prepareConsole({ issuer, db, cookieKeys, accounts, policy: () => policy(), logger });
    const provider = createProvider({
      issuer,
      db,
      stepup,
      signingKeys: providerKeysNow,
      cookieKeys,
      clients: [auditConsole.client, ...(demo ? [demo.client] : [])],
      openRegistration: config.sandbox,
      resourceAudience: demo?.audience,
      proxy: config.trustProxy,
    });

    // oidc-provider answers its own failures and only emits them; koa would print the others with console.error.
    provider.on('server_error', (ctx: { method: string; path: string }, err: unknown) =>
      logger.error({ err, method: ctx.method, path: ctx.path }, 'provider error'),
    );
    const app = new Koa();
    app.on('error', (err: unknown, ctx?: { method: string; path: string }) =>
      logger.error({ err, method: ctx?.method, path: ctx?.path }, 'request failed'),
    );
    app.keys = cookieKeys; // the provider sets its cookies through this app's context (mounted middleware)
    app.proxy = config.trustProxy;
    // First, so every answer carries them: pages, errors, JSON, the sandboxes and the provider's own.
    app.use(securityHeaders({ issuer, vendorOrigins: stepup.browserOrigins }));
    app.use(metrics.countRequests);
    const health = healthRoutes(db.knex, metrics);
    app.use(health.routes());
    if (config.sandbox) app.use(sandboxes(() => policy(), { db, issuer, fetch: options.fetch ?? globalThis.fetch, log: logger }));
    demo?.mount(app);
    app.use(stepup.routes(provider));
    app.use(auditRoutes({ provider, knex: db.knex, queries: db.queries, logger }).routes());
    app.use(auditConsole.routes());
    // Mounted at the root the way koa-mount does it: the provider's middleware runs with this app's context.
    app.use(compose(provider.middleware));

    handle = app.callback();
    const stopHousekeeping = startHousekeeping(db, logger);
    const stopCheckpoints = startCheckpoints(db.knex, ledgerKey, logger);
    const keys = followSigningKeys(provider, signingKeys, () => loadSigningKeys(db.knex, kek), logger, config.keyRefreshMs);
    logger.info({ issuer, port, sandbox: config.sandbox, database: db.engine }, 'identity provider listening');
    return {
      issuer,
      port,
      server,
      provider,
      stepup,
      accounts,
      db,
      kek,
      refreshKeys: keys.refresh,
      policy: () => policy(),
      reloadPolicy: stepup.reloadPolicy,
      async close() {
        await stopHousekeeping();
        await stopCheckpoints();
        await keys.stop();
        // No more vendor calls from the background while the server and its sandboxes shut down.
        await stepup.poller.stop();
        // Requests in flight finish (up to a grace period) before the database goes away under them.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        await closed;
        clearTimeout(force);
        await stepup.close();
        if (!options.db) await db.close();
      },
    };
  } catch (error) {
    server.close();
    await started?.close();
    if (!options.db) await db.close();
    throw error;
  }
}

// Each emulator answers the vendors that reach it: those of its type without their own baseUrl. It takes
// the policy vendor's credentials (generated in sandbox mode when the environment has none), and follows the
// policy in force, so a vendor added by a reload has its emulator at once.
function sandboxes(policy: () => Policy, deps: { db: Database; issuer: string; fetch: typeof globalThis.fetch; log: Logger }): Middleware {
  const built = new Map<string, Middleware>();
  return async (ctx, next) => {
    const type = /^\/sandbox\/([a-z0-9_-]+)(?:\/|$)/.exec(ctx.path)?.[1];
    const sandbox = type ? vendorSandbox(type) : undefined;
    const entry = sandbox && Object.entries(policy().vendors).find(([, config]) => config.type === type && !config.baseUrl);
    if (!sandbox || !entry) return next();
    const [vendorId, config] = entry;
    const key = `${vendorId}\n${JSON.stringify(config)}`;
    let answer = built.get(key);
    if (!answer) {
      const router = sandbox.create({
        db: deps.db,
        publicUrl: `${deps.issuer}/sandbox/${sandbox.type}`,
        config,
        webhookUrl: `${deps.issuer}/stepup/webhooks/${vendorId}`,
        fetch: deps.fetch,
        log: deps.log,
      });
      answer = compose([router.routes(), router.allowedMethods()]) as Middleware;
      built.set(key, answer);
    }
    return answer(ctx, next);
  };
}
