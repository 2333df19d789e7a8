import type { Knex } from 'knex';
import { appendEvent } from './ledger.ts';
import type { LedgerEvent } from './chain.ts';
import { currentCommitment, deleteAccountKey } from './commitments.ts';

/** What erasing an account did. */
export interface Erasure {
  /** The `account.erased` event, when the account had a key to delete. */
  event?: LedgerEvent;
  /** Rows written before commitments existed that still name the account in plain (they cannot be erased). */
  plainRows: number;
}

/**
 * Erases an account from the ledger: deletes its commitment key and records `account.erased` with the
 * commitment (never the id), in one transaction. The chain is untouched; the account's committed rows can
 * no longer be linked to it, and its next event gets a new key.
 */
export async function eraseAccount(knex: Knex, accountId: string): Promise<Erasure> {
  const event = await knex.transaction(async (trx) => {
    const commitment = await currentCommitment(trx, accountId);
    if (commitment === undefined || !(await deleteAccountKey(trx, accountId))) return undefined;
    return appendEvent(trx, { type: 'account.erased', data: { commitment } });
  });
  const [row] = await knex('ledger_events').where('account_id', accountId).count<Array<{ n: number | string }>>({ n: '*' });
  return { event, plainRows: Number(row?.n ?? 0) };
}
