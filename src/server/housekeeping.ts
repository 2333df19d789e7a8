import type { Logger } from 'pino';
import type { Database } from '../db/connect.ts';
import { purgeExpired } from '../db/oidc-adapter.ts';
import { runEvery } from '../util/periodic.ts';
import { purgeWebhookReceipts } from '../verification/webhook-receipts.ts';

const EVERY_MS = 10 * 60 * 1000;

/** Deletes expired provider payloads, session levels, half-done interaction steps, interaction policy pins and webhook receipts; counts them. */
export async function sweepExpired(
  db: Database,
): Promise<{ payloads: number; levels: number; steps: number; pins: number; receipts: number }> {
  const payloads = await purgeExpired(db);
  const now = new Date();
  // Counted from RETURNING: knex-pglite does not give a row count for delete().
  const levels = (await db.knex('session_levels').where('expires_at', '<=', now).delete().returning('session_uid')).length;
  const steps = (await db.knex('interaction_steps').where('expires_at', '<=', now).delete().returning('uid')).length;
  const pins = (await db.knex('interaction_policies').where('expires_at', '<=', now).delete().returning('uid')).length;
  const receipts = await purgeWebhookReceipts(db.knex, now);
  return { payloads, levels, steps, pins, receipts };
}

/** Sweeps expired state every ten minutes; returns a stop function. */
export function startHousekeeping(db: Database, logger: Logger): () => Promise<void> {
  return runEvery(EVERY_MS, async () => {
    try {
      const removed = await sweepExpired(db);
      if (Object.values(removed).some((n) => n > 0)) logger.info(removed, 'expired state removed');
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'housekeeping failed; retrying later');
    }
  });
}
