import { unmetThreshold } from '../policy/grant.ts';
import type { Thresholds } from '../policy/schema.ts';
import type { VendorOutcome } from '../vendors/types.ts';
import type { VerificationState } from './state.ts';

const APPROVED_AFTER_DEADLINE = 'approved_after_deadline';
const SUBJECT_MISMATCH = 'subject_mismatch';

/**
 * Whether a recorded verdict is a vendor approval that `evaluateOutcome` overruled (its reasons, not the
 * vendor's): policy replay re-judges those, and keeps every other non-approval as the vendor gave it.
 */
export function overruledApproval(state: string, reason: string | null): boolean {
  if (state === 'expired') return reason === APPROVED_AFTER_DEADLINE;
  return state === 'rejected' && (reason === SUBJECT_MISMATCH || /^(liveness|match)_(score_missing|below_threshold)$/.test(reason ?? ''));
}

/** What the policy makes of a vendor's outcome. */
export interface Evaluation {
  state: VerificationState;
  reason?: string;
}

/**
 * Turns a vendor's reported outcome into our verdict. A vendor approval becomes `approved` only when
 * every configured score floor is met by a reported score, the vendor verified the enrolled subject and
 * the verification has not expired; otherwise it is `rejected` with the first failed condition as reason.
 * Fails closed: a threshold the vendor did not report a score for is not met.
 */
export function evaluateOutcome(
  outcome: VendorOutcome,
  expect: { thresholds: Thresholds; subject: string; expiresAt: Date; now: Date },
): Evaluation {
  if (outcome.state !== 'approved') return { state: outcome.state, reason: outcome.reason };
  if (expect.now.getTime() > expect.expiresAt.getTime()) return { state: 'expired', reason: APPROVED_AFTER_DEADLINE };
  if (outcome.subject !== expect.subject) return { state: 'rejected', reason: SUBJECT_MISMATCH };
  const unmet = unmetThreshold(expect.thresholds, outcome.scores);
  if (unmet) return { state: 'rejected', reason: unmet };
  return { state: 'approved' };
}
