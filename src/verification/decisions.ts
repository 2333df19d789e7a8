import type { Knex } from 'knex';
import { chainStaged, recordedOrStaged, stageEvent, type LedgerEvent } from '../ledger/ledger.ts';
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

const DECISIONS = ['stepup.granted', 'stepup.denied'];

/**
 * Records `stepup.granted` or `stepup.denied` for a verification, once: a second conclusion of the same
 * verification (a reload, two tabs) returns the decision already recorded. Returns once it is chained;
 * throws when the database cannot chain it now (it stays staged, and the poll worker's sweep chains it).
 */
export async function recordDecision(knex: Knex, verification: Verification, decision: Decision, at: Date): Promise<LedgerEvent> {
  const staged = await knex.transaction(async (trx) => {
    // The row lock makes concurrent conclusions take turns; the later ones find the first one staged or chained.
    await lockVerification(trx, verification.id);
    if (await recordedOrStaged(trx, verification.id, DECISIONS)) return undefined;
    return stageEvent(trx, {
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
  const chained = await chainStaged(knex);
  const event = (staged !== undefined && chained.get(staged)) || (await findDecision(knex, verification.id));
  // After a drain every decision committed before it is chained: by it, or by a drain it waited for on the lock.
  if (!event) throw new Error(`the decision on verification ${verification.id} is missing from the ledger after a drain`);
  return event;
}
