import type { Logger } from 'pino';
import { z } from 'zod';
import type { Accounts } from './accounts/store.ts';
import type { Database } from './db/connect.ts';
import type { SecretFallback } from './policy/secrets.ts';
import type { Policy } from './policy/policy.ts';
import type { StepUpObserver } from './verification/orchestrator-deps.ts';
import type { PollWorkerOptions } from './verification/poll-worker.ts';
import type { WebhookRateLimit } from './verification/webhook-routes.ts';
import type { Clock } from './util/clock.ts';
import type { BaseUrlResolver } from './vendors/types.ts';

/** A policy file the plugin loads, records in the ledger and watches (an invalid edit is refused and logged). */
export interface PolicyFileSource {
  file: string;
  /** Supplies values for unset `${env:NAME}` references (the bundled server's sandbox mode). */
  secretFallback?: SecretFallback;
  /** Reload when the file changes (default true); `reloadPolicy()` reloads either way. */
  watch?: boolean;
}

/** How a host wires step-up into its oidc-provider. */
export interface StepUpOptions {
  db: Database;
  /** The issuer's public base URL (no trailing slash). */
  issuer: string;
  /**
   * The policy: a file path (or `{ file, … }`) the plugin loads and reloads when the file changes, or a
   * policy already loaded (`loadPolicyFile`, `parsePolicy`) that stays fixed. Either way the plugin records
   * each policy it puts in force in the ledger (`policy.loaded`) before any decision cites its hash.
   */
  policy: string | PolicyFileSource | Policy;
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
  polling?: Pick<PollWorkerOptions, 'tickMs' | 'defaultIntervalSeconds' | 'firstPollAfterSeconds' | 'backoffSeconds' | 'batch'> & {
    enabled?: boolean;
  };
  /**
   * Set only by a demonstration deployment: the login page then names the demo accounts. A real host leaves it
   * unset, so its sign-in page never advertises credentials.
   */
  demo?: boolean;
}

const fn = (what: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `must be ${what}`);
const object = (what: string, ...methods: string[]) =>
  z.custom<object>(
    (v) => typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    `must be ${what}`,
  );
const seconds = z.number().int().positive();

const isPolicy = (v: unknown): v is Policy =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Policy).hash === 'string' &&
  Array.isArray((v as Policy).levels) &&
  (v as Policy).byAcr instanceof Map;

const schema = z
  .object({
    db: z.custom<Database>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Database).knex === 'function',
      'must be a Database from openDatabase()',
    ),
    issuer: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).refine((v) => !v.endsWith('/'), 'must not end with a slash'),
    policy: z.union(
      [
        z.string().min(1),
        z.strictObject({ file: z.string().min(1), secretFallback: fn('a function').optional(), watch: z.boolean().optional() }),
        z.custom<Policy>(isPolicy),
      ],
      { error: 'must be a policy file path, { file }, or a policy from loadPolicyFile()/parsePolicy()' },
    ),
    accounts: object('an Accounts implementation', 'findById', 'authenticate', 'subjectAt').optional(),
    fetch: fn('a fetch function').optional(),
    sandboxBaseUrl: fn('a function').optional(),
    logger: object('a pino logger', 'info', 'warn', 'error', 'child').optional(),
    observer: z.custom<object>((v) => typeof v === 'object' && v !== null, 'must be an object').optional(),
    interactionTtl: seconds.optional(),
    sessionTtl: seconds.optional(),
    mountPath: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be empty or a path like /idp (no trailing slash)')
      .optional(),
    now: fn('a function returning a Date').optional(),
    webhookRateLimit: z
      .union([z.literal(false), z.strictObject({ points: z.number().int().positive(), durationSeconds: z.number().int().positive() })])
      .optional(),
    polling: z
      .strictObject({
        enabled: z.boolean().optional(),
        tickMs: z.number().int().positive().optional(),
        defaultIntervalSeconds: seconds.optional(),
        firstPollAfterSeconds: z.number().nonnegative().optional(),
        backoffSeconds: seconds.optional(),
        batch: z.number().int().positive().optional(),
      })
      .optional(),
    demo: z.boolean().optional(),
  })
  .strict();

/**
 * Checks a host's options before anything is built: a mistyped or mis-shaped option throws a TypeError
 * naming it (`stepUp(): option "issuer" must be an http(s) URL`), not a failure at the first request.
 */
export function validateOptions(options: unknown): StepUpOptions {
  const result = schema.safeParse(options);
  if (result.success) return options as StepUpOptions;
  const issue = result.error.issues[0]!;
  const name = issue.path.join('.');
  if (issue.code === 'unrecognized_keys')
    throw new TypeError(`stepUp(): unknown option ${issue.keys.map((k) => `"${name ? `${name}.` : ''}${k}"`).join(', ')}`);
  if (!name) throw new TypeError('stepUp(): options must be an object');
  // zod's own wording ("Invalid input: expected string, received undefined") is kept where no message of ours applies.
  throw new TypeError(
    `stepUp(): option "${name}" ${issue.message.startsWith('Invalid input') ? `is invalid (${issue.message.slice('Invalid input: '.length) || 'wrong type'})` : issue.message}`,
  );
}
