import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { startIdp, type RunningIdp } from '../../src/server/app.ts';
import { configFromEnv } from '../../src/server/config.ts';
import type { Clock } from '../../src/util/clock.ts';
import { freshDatabase, preferredEngine } from './db.ts';
import { TEST_KEK } from './kek.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Starts the bundled IdP on an ephemeral port over a fresh database (PostgreSQL when available). */
export async function startTestIdp(
  options: { policyFile?: string; env?: NodeJS.ProcessEnv; sandbox?: boolean; logger?: Logger; now?: Clock } = {},
): Promise<RunningIdp> {
  const db = await freshDatabase(preferredEngine());
  const config = configFromEnv(
    { STEPUP_KEK: TEST_KEK, ...options.env },
    {
      port: 0,
      host: '127.0.0.1',
      policyFile: options.policyFile ?? path.join(PROJECT_ROOT, 'policies/default.yaml'),
      sandbox: options.sandbox ?? true,
    },
  );
  const idp = await startIdp(config, {
    db,
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    now: options.now,
  });
  const close = idp.close;
  return {
    ...idp,
    close: async () => {
      await close();
      await db.close();
    },
  };
}

/** Starts one IdP for the test file (beforeAll) and closes it (afterAll); call the result to reach it. */
export function useTestIdp(options: Parameters<typeof startTestIdp>[0] = {}): () => RunningIdp {
  let idp: RunningIdp | undefined;
  beforeAll(async () => {
    idp = await startTestIdp(options);
  });
  afterAll(async () => {
    await idp?.close();
  });
  return () => {
    if (!idp) throw new Error('the test IdP is not running');
    return idp;
  };
}
