import path from 'node:path';
import { targetFromEnv, type DatabaseTarget } from '../db/connect.ts';
import { DEFAULT_WEBHOOK_RATE_LIMIT, type WebhookRateLimit } from '../verification/webhook-routes.ts';
import type { KekSource } from '../keys/kek.ts';

/** Settings of the bundled IdP, read from the environment (DESIGN §9). */
export interface ServerConfig {
  port: number;
  host: string;
  /** Public issuer URL; derived from the port when ISSUER is not set. */
  issuer?: string;
  database: DatabaseTarget;
  policyFile: string;
  /** Sandbox mode: vendor emulators, generated vendor secrets, open dynamic registration. */
  sandbox: boolean;
  trustProxy: boolean;
  logLevel: string;
  /** A private EC P-256 JWK file signing ledger checkpoints; without it the key is kept in the database. */
  ledgerKeyFile?: string;
  /** Webhook requests per source address and window (`STEPUP_WEBHOOK_RATE_LIMIT=<requests>/<seconds>` or `off`). */
  webhookRateLimit: WebhookRateLimit | false;
  /** The key-encryption key sealing the private keys at rest (STEPUP_KEK_FILE or STEPUP_KEK). */
  kek: KekSource;
  /** How often an instance looks for signing keys added by a rotation. */
  keyRefreshMs: number;
}

/** Reads the server configuration; `overrides` win over the environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, found ${JSON.stringify(env.PORT)}`);
  const sandbox = overrides.sandbox ?? env.STEPUP_SANDBOX !== '0';
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    issuer: env.ISSUER?.replace(/\/+$/, ''),
    database: targetFromEnv(env),
    policyFile: path.resolve(env.STEPUP_POLICY ?? 'policies/default.yaml'),
    sandbox,
    trustProxy: env.STEPUP_TRUST_PROXY === '1',
    logLevel: env.LOG_LEVEL ?? 'info',
    ledgerKeyFile: env.STEPUP_LEDGER_KEY_FILE ? path.resolve(env.STEPUP_LEDGER_KEY_FILE) : undefined,
    webhookRateLimit: webhookRateLimitFrom(env.STEPUP_WEBHOOK_RATE_LIMIT),
    kek: kekSource(env, sandbox),
    keyRefreshMs: 30_000,
    ...overrides,
  };
}

function webhookRateLimitFrom(value: string | undefined): WebhookRateLimit | false {
  if (value === undefined || value === '') return DEFAULT_WEBHOOK_RATE_LIMIT;
  if (value === 'off') return false;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const [points, durationSeconds] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (points < 1 || durationSeconds < 1) {
    throw new Error(`STEPUP_WEBHOOK_RATE_LIMIT must be <requests>/<seconds> (e.g. 50000/10) or off, found ${JSON.stringify(value)}`);
  }
  return { points, durationSeconds };
}

// Sandbox mode keeps a generated KEK beside the data directory (`./.data.kek` by default), not in the
// database: a copy of the database alone then unseals nothing, and restarts find the same KEK. An in-memory
// database keeps its KEK in memory: both go when the process ends.
function kekSource(env: NodeJS.ProcessEnv, sandbox: boolean): KekSource {
  if (env.STEPUP_KEK_FILE) return { from: 'file', file: path.resolve(env.STEPUP_KEK_FILE) };
  if (env.STEPUP_KEK) return { from: 'env', value: env.STEPUP_KEK };
  if (!sandbox) return { from: 'missing' };
  const dir = env.STEPUP_DATA_DIR ?? './.data';
  return dir === 'memory://' ? { from: 'generated' } : { from: 'generated', file: `${path.resolve(dir)}.kek` };
}
