import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import pino, { type Logger } from 'pino';
import { securityHeaders } from './http/security-headers.ts';
import { vendorBrowserOrigins } from './policy/vendor-origins.ts';
import { LoginThrottle } from './accounts/login-throttle.ts';
import { AccountStore, type Accounts } from './accounts/store.ts';
import type { Database } from './db/connect.ts';
import { stepUpInteractionPolicy } from './interaction/check.ts';
import { interactionHandlers } from './interaction/handlers.ts';
import { LOCALES } from './interaction/messages.ts';
import { SessionLevels } from './interaction/session-levels.ts';
import { InteractionSteps } from './interaction/steps.ts';
import { PinnedPolicies } from './interaction/pinned-policies.ts';
import type { Policy } from './policy/policy.ts';
import { buildVendorAdapters } from './verification/vendor-adapters.ts';
import type { BaseUrlResolver, VendorAdapter } from './vendors/types.ts';
import { Orchestrator, type StepUpObserver } from './verification/orchestrator.ts';
import { PollWorker, type PollWorkerOptions } from './verification/poll-worker.ts';
import { webhookHandler, type WebhookRateLimit } from './verification/webhook-routes.ts';
import { createPaths, type Paths } from './paths.ts';
import { routeTable, routerFor } from './routes.ts';
import { systemClock, type Clock } from './util/clock.ts';

/** How a host wires step-up into its oidc-provider. */
export interface StepUpOptions {
  db: Database;
  /** The issuer's public base URL (no trailing slash). */
  issuer: string;
  /**
   * The policy in force; a function so a reloaded policy is picked up by new step-ups. Given the hash of
   * the policy an in-flight verification started under, it returns that policy while it is still known
   * (so the verification finishes under the rules it started with), else the one in force.
   */
  policy: (policyHash?: string) => Policy;
  /** Who can sign in and their vendor references; defaults to this package's own account tables. */
  accounts?: Accounts;
  /** Used by vendor adapters for every outbound call. */
  fetch?: typeof globalThis.fetch;
  /** Where vendors without `baseUrl` are reached (sandbox mode). */
  sandboxBaseUrl?: BaseUrlResolver;
  logger?: Logger;
  /** Told about verification state changes and decisions (metrics). */
  observer?: StepUpObserver;
  /** Seconds an interaction (and its half-done steps) lives; keep it equal to the provider's `ttl.Interaction`. */
  interactionTtl?: number;
  /** Seconds a session lives; keep it equal to the provider's `ttl.Session`. */
  sessionTtl?: number;
  /** Where the host mounts `routes()`, e.g. `/idp` (default: the origin's root); every URL built follows it. */
  mountPath?: string;
  /** The clock every decision and stored time uses (tests move it). */
  now?: Clock;
  /** Webhook requests allowed per source address, shared by every instance (DEFAULT_WEBHOOK_RATE_LIMIT); `false` turns it off. */
  webhookRateLimit?: WebhookRateLimit | false;
  /** Status polling of open verifications (on by default; `enabled: false` leaves it to the host). */
  polling?: Pick<PollWorkerOptions, 'tickMs' | 'defaultIntervalSeconds' | 'firstPollAfterSeconds' | 'backoffSeconds' | 'batch'> & { enabled?: boolean };
}

/** Token fields oidc-provider's `extraTokenClaims` and `findAccount` receive. */
interface TokenSource {
  sessionUid?: string;
  acr?: string;
  amr?: string[];
  authTime?: number;
}

/** What `stepUp()` gives a host: provider configuration pieces, koa routes and the orchestrator. */
export interface StepUp {
  /** `interactions.policy` for the Provider. */
  interactionPolicy: ReturnType<typeof stepUpInteractionPolicy>;
  /**
   * `acrValues` for the Provider: every level's acr and aliases, weakest first, at start. oidc-provider
   * copies them when the Provider is built, so `routes()` rewrites the discovery document's
   * `acr_values_supported` to the policy in force; dynamic registration keeps checking a client's
   * `default_acr_values` against these.
   */
  acrValues: string[];
  /** Claims to list under the `openid` scope so ID tokens always carry them when known. */
  openidClaims: string[];
  /** `extraTokenClaims`: acr, amr, auth_time and txn on access tokens (RFC 9068, RFC 9470 §6). */
  extraTokenClaims(ctx: KoaContextWithOIDC, token: unknown): Promise<Record<string, unknown> | undefined>;
  /** The `txn` (verification id) behind a token or the current session, for ID token claims. */
  txn(ctx: KoaContextWithOIDC, token?: unknown): Promise<string | undefined>;
  /**
   * Interaction pages and vendor webhooks, to mount before the provider. Their responses carry the security
   * headers (src/http/security-headers.ts), unless an outer middleware already set them (the bundled server's).
   */
  routes(provider: Provider): Middleware;
  /** Every URL the plugin serves and builds; `interactions.url` of the Provider is `paths.interaction(uid)`. */
  paths: Paths;
  /** The origins the vendors' browser code loads from under the policy in force (for the pages' CSP). */
  browserOrigins(): readonly string[];
  orchestrator: Orchestrator;
  /** Polls open verifications (completes them without webhooks, expires them on time). */
  poller: PollWorker;
  accounts: Accounts;
  /** The vendor adapters of the current policy, or of the policy with that hash while it is still known. */
  vendors(policyHash?: string): ReadonlyMap<string, VendorAdapter>;
  close(): Promise<void>;
}

/** Builds the step-up plugin for an oidc-provider host. */
export function stepUp(options: StepUpOptions): StepUp {
  const { knex } = options.db;
  const logger = options.logger ?? pino({ level: 'silent' });
  const accounts = options.accounts ?? new AccountStore(knex);
  const now = options.now ?? systemClock;
  const sessionLevels = new SessionLevels(knex, options.sessionTtl ?? 14 * 86400, now);
  const steps = new InteractionSteps(knex, options.interactionTtl ?? 3600, now);
  const pins = new PinnedPolicies(knex, options.interactionTtl ?? 3600, now);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const throttle = new LoginThrottle(options.db);

  // Adapters are built once per policy object (at a reload), not per request; a superseded policy keeps
  // its adapters for the verifications it started.
  let built = new WeakMap<Policy, Map<string, VendorAdapter>>();
  const vendors = (policyHash?: string) => {
    const policy = options.policy(policyHash);
    let adapters = built.get(policy);
    if (!adapters) built.set(policy, (adapters = buildVendorAdapters(policy, { fetch: fetchFn }, options.sandboxBaseUrl)));
    return adapters;
  };
  const origins = new WeakMap<Policy, readonly string[]>();
  const browserOrigins = () => {
    const policy = options.policy();
    let list = origins.get(policy);
    if (!list) origins.set(policy, (list = vendorBrowserOrigins(policy, options.sandboxBaseUrl)));
    return list;
  };
  const acrValuesOf = (policy: Policy) => policy.levels.flatMap((l) => [l.acr, ...l.aliases]);
  const paths = createPaths(options.issuer, options.mountPath);
  const orchestrator = new Orchestrator({ knex, accounts, policy: options.policy, vendors, paths, logger, observer: options.observer, now });
  // The provider arrives with routes(); until then no sign-in can have started here, so none has ended.
  let host: Provider | undefined;
  const interactionAlive = async (uid: string) => !host || (await host.Interaction.find(uid)) !== undefined;
  const poller = new PollWorker({ knex, orchestrator, vendors, interactionAlive, logger, now, ...options.polling });
  if (options.polling?.enabled !== false) poller.start();

  const txnOf = (source: TokenSource | undefined) => sessionLevels.txnFor(source?.sessionUid, source?.authTime);
  const sourceOf = (ctx: KoaContextWithOIDC): TokenSource | undefined => {
    const e = ctx.oidc.entities as Record<string, TokenSource | undefined>;
    return e.AuthorizationCode ?? e.RefreshToken ?? e.DeviceCode ?? e.BackchannelAuthenticationRequest;
  };

  return {
    interactionPolicy: stepUpInteractionPolicy({ policy: options.policy, sessionLevels, now }),
    acrValues: acrValuesOf(options.policy()),
    openidClaims: ['sub', 'acr', 'amr', 'auth_time', 'txn'],
    async extraTokenClaims(ctx) {
      // Values come from the grant's original authentication, never from the current session (RFC 9068).
      const source = sourceOf(ctx);
      if (!source?.acr) return undefined;
      const txn = await txnOf(source);
      return { acr: source.acr, amr: source.amr, auth_time: source.authTime, ...(txn ? { txn } : {}) };
    },
    async txn(ctx, token) {
      const source = (token as TokenSource | undefined)?.sessionUid ? (token as TokenSource) : undefined;
      if (source) return txnOf(source);
      const session = ctx.oidc?.session;
      return session ? txnOf({ sessionUid: session.uid, acr: session.acr, authTime: session.loginTs }) : undefined;
    },
    routes(provider) {
      host = provider;
      const interaction = interactionHandlers({ provider, policy: options.policy, orchestrator, accounts, steps, pins, throttle, paths, observer: options.observer, logger, now });
      const router = routerFor(routeTable(paths, { interaction, webhook: webhookHandler({ orchestrator, vendors, logger, db: options.db, rateLimit: options.webhookRateLimit, now }) }), { interaction: interaction.guard, prefix: paths.prefix });
      // Discovery follows policy reloads: the Provider's own copy of acrValues is from its construction.
      // It also names the languages of the interaction pages (ui_locales).
      const advertise: Middleware = async (ctx, next) => {
        await next();
        const body = ctx.body as Record<string, unknown> | undefined;
        if ((ctx as KoaContextWithOIDC).oidc?.route === 'discovery' && body && typeof body === 'object') {
          Object.assign(body, { acr_values_supported: acrValuesOf(options.policy()), ui_locales_supported: [...LOCALES] });
        }
      };
      const headers = securityHeaders({ issuer: options.issuer, vendorOrigins: browserOrigins, paths: [`${paths.prefix}/interaction/`, `${paths.prefix}/stepup/`], interactionPrefix: `${paths.prefix}/interaction/` });
      return compose([headers, advertise, router.routes(), router.allowedMethods()]) as Middleware;
    },
    paths,
    browserOrigins,
    orchestrator,
    accounts,
    vendors,
    poller,
    async close() {
      await poller.stop();
      built = new WeakMap();
    },
  };
}
