import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createCheckpoint } from '../ledger/checkpoint-signer.ts';
import type { LedgerKey } from '../ledger/ledger-key.ts';
import { runEvery } from '../util/periodic.ts';

const EVERY_MS = 60 * 1000;

/**
 * Signs a ledger checkpoint every minute when events were appended, so rewriting or truncating history is
 * detectable within a minute's worth of events. Returns a stop function that waits for a checkpoint in progress.
 */
export function startCheckpoints(knex: Knex, key: LedgerKey, logger: Logger, everyMs = EVERY_MS): () => Promise<void> {
  return runEvery(everyMs, async () => {
    try {
      const created = await createCheckpoint(knex, key);
      if (created) logger.info({ seq: created.seq, kid: created.kid }, 'ledger checkpoint signed');
    } catch (error) {
      // A chain that does not verify is an incident: say so loudly, keep serving, try again later.
      logger.error({ err: (error as Error).message }, 'ledger checkpoint refused');
    }
  });
}
