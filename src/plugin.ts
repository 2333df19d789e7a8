import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import pino from 'pino';
import { securityHeaders } from './http/security-headers.ts';
import { vendorBrowserOrigins } from './policy/vendor-origins.ts';
import { LoginThrottle } from './accounts/login-throttle.ts';
import { AccountStore, type Accounts } from './accounts/store.ts';
import { stepUpInteractionPolicy } from './interaction/check.ts';
import { interactionHandlers } from './interaction/handlers.ts';
import { LOCALES } from './interaction/messages.ts';
import { SessionLevels } from './interaction/session-levels.ts';
import { InteractionSteps } from './interaction/steps.ts';
import { PinnedPolicies } from './interaction/pinned-policies.ts';
import { loadPolicyFile } from './policy/load.ts';
import type { Policy } from './policy/policy.ts';
import { PolicyReloader, type ReloadOutcome } from './policy/reload.ts';
import { validateOptions, type StepUpOptions } from './plugin-options.ts';
import { buildVendorAdapters } from './verification/vendor-adapters.ts';
import type { VendorAdapter } from './vendors/types.ts';
import { Orchestrator } from './verification/orchestrator.ts';
import { PollWorker } from './verification/poll-worker.ts';
import { webhookHandler } from './verification/webhook-routes.ts';
import { createPaths, type Paths } from './paths.ts';
import { routeTable, routerFor } from './routes.ts';
import { systemClock } from './util/clock.ts';

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
  /** The policy in force, or the one with `hash` while an in-flight verification still needs it. */
  policy(hash?: string): Policy;
  /** Loads the policy again (what the bundled server's SIGHUP does); an invalid one is refused and the running one stays. */
  reloadPolicy(): Promise<ReloadOutcome>;
  /** Stops polling and watching the policy file. */
  close(): Promise<void>;
}

/**
 * Builds the step-up plugin for an oidc-provider host: validates `options` (a TypeError names a bad one),
 * loads the policy and records it in the ledger, and starts polling.
 */
export async function stepUp(input: StepUpOptions): Promise<StepUp> {
  const { policy: policyOption, ...rest } = validateOptions(input);
  const { knex } = rest.db;
  const logger = rest.logger ?? pino({ level: 'silent' });
  const policies = await PolicyReloader.start({ ...policySource(policyOption), knex, logger });
  const options = { ...rest, policy: (hash?: string) => policies.policy(hash) };
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
  const orchestrator = new Orchestrator({
    knex,
    accounts,
    policy: options.policy,
    vendors,
    paths,
    logger,
    observer: options.observer,
    now,
  });
  // The provider arrives with routes(); until then no sign-in can have started here, so none has ended.
  let host: Provider | undefined;
  const interactionAlive = async (uid: string) => !host || (await host.Interaction.find(uid)) !== undefined;
  const poller = new PollWorker({ knex, orchestrator, vendors, interactionAlive, logger, now, ...options.polling });
  if (options.polling?.enabled !== false) poller.start();

  const txnOf = async (source: TokenSource | undefined) =>
    passwordOnly(options.policy(), source?.amr) ? undefined : sessionLevels.txnFor(source?.sessionUid, source?.authTime);
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
      return session ? txnOf({ sessionUid: session.uid, acr: session.acr, amr: session.amr, authTime: session.loginTs }) : undefined;
    },
    routes(provider) {
      host = provider;
      const interaction = interactionHandlers({
        provider,
        policy: options.policy,
        orchestrator,
        accounts,
        steps,
        pins,
        throttle,
        paths,
        observer: options.observer,
        logger,
        now,
        demo: options.demo === true,
      });
      const router = routerFor(
        routeTable(paths, {
          interaction,
          webhook: webhookHandler({ orchestrator, vendors, logger, db: options.db, rateLimit: options.webhookRateLimit, now }),
        }),
        { interaction: interaction.guard, prefix: paths.prefix },
      );
      // Discovery follows policy reloads: the Provider's own copy of acrValues is from its construction.
      // It also names the languages of the interaction pages (ui_locales).
      const advertise: Middleware = async (ctx, next) => {
        await next();
        const body = ctx.body as Record<string, unknown> | undefined;
        if ((ctx as KoaContextWithOIDC).oidc?.route === 'discovery' && body && typeof body === 'object') {
          Object.assign(body, { acr_values_supported: acrValuesOf(options.policy()), ui_locales_supported: [...LOCALES] });
        }
      };
      const headers = securityHeaders({
        issuer: options.issuer,
        vendorOrigins: browserOrigins,
        paths: [`${paths.prefix}/interaction/`, `${paths.prefix}/stepup/`],
        interactionPrefix: `${paths.prefix}/interaction/`,
      });
      return compose([headers, advertise, router.routes(), router.allowedMethods()]) as Middleware;
    },
    paths,
    browserOrigins,
    orchestrator,
    accounts,
    vendors,
    poller,
    policy: options.policy,
    reloadPolicy: () => policies.reload('signal'),
    async close() {
      policies.close();
      await poller.stop();
      built = new WeakMap();
    },
  };
}

function policySource(policy: StepUpOptions['policy']): { load: () => Policy; file?: string } {
  if (typeof policy === 'string') return policySource({ file: policy });
  if ('hash' in policy) return { load: () => policy };
  const { file, secretFallback, watch = true } = policy;
  return { load: () => loadPolicyFile(file, { secretFallback }), ...(watch ? { file } : {}) };
}

// Only an authentication that performed a biometric method has a verification behind it, so the tokens of a
// password session (every SSO flow's) need no look-up. A method the policy does not name as a password
// level's (a level since removed, say) is looked up.
function passwordOnly(policy: Policy, amr: string[] | undefined): boolean {
  if (!amr || amr.length === 0) return false;
  const password = new Set(policy.levels.filter((l) => l.factor === 'password').flatMap((l) => l.amr));
  const biometric = new Set(policy.levels.filter((l) => l.factor === 'biometric').flatMap((l) => l.amr));
  return amr.every((m) => password.has(m) && !biometric.has(m));
}
