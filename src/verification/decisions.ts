import type { Knex } from 'knex';
import { inTransaction } from '../db/transaction.ts';
import { appendEvent, type LedgerEvent } from '../ledger/ledger.ts';
import { findDecision } from '../ledger/query.ts';
import type { Thresholds } from '../policy/schema.ts';
import { lockVerification } from './repository.ts';
import { ledgerSubject, type Verification } from './row.ts';

/** The outcome of applying the policy to a verification, as the interaction finishes. */
export interface Decision {
  granted: boolean;
  /** The acr granted, or the one that was requested when denied. */
  acr: string;
  amr?: string[];
  reason: string;
  thresholds: Thresholds;
  policyHash: string;
}

/**
 * Records `stepup.granted` or `stepup.denied` for a verification, once: a second conclusion of the same
 * verification (a reload, two tabs) returns the decision already recorded.
 */
export function recordDecision(
  knex: Knex | Knex.Transaction,
  verification: Verification,
  decision: Decision,
  at: Date,
): Promise<LedgerEvent> {
  return inTransaction(knex, async (trx) => {
    await lockVerification(trx, verification.id);
    const earlier = await findDecision(trx, verification.id);
    if (earlier) return earlier;
    return appendEvent(trx, {
      ...ledgerSubject(verification),
      type: decision.granted ? 'stepup.granted' : 'stepup.denied',
      acr: decision.acr,
      at,
      data: {
        state: verification.state,
        ...(decision.amr ? { amr: decision.amr } : {}),
        scores: { liveness: verification.liveness, match: verification.match },
        thresholds: decision.thresholds,
        policyHash: decision.policyHash,
        reason: decision.reason,
      },
    });
  });
}
