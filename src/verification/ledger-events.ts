import type { Knex } from 'knex';
import { chainStaged } from '../ledger/ledger.ts';

/**
 * Chains the events a committed state change staged (with whatever else is staged), before the writer
 * returns: a caller that reads the ledger next finds them, and an RP is not handed a token before the
 * events behind it are in the chain. A failure here loses nothing: the event is committed in the outbox,
 * and the poll worker's sweep chains it (and logs when it cannot). In a caller's transaction nothing is
 * committed yet: the next drain after that commit (any writer's, or the sweep) chains the events.
 */
export async function chainAfterCommit(knex: Knex | Knex.Transaction): Promise<void> {
  if (knex.isTransaction) return;
  await chainStaged(knex).catch(() => undefined);
}
