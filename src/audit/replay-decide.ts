import { attemptStatus } from '../policy/attempts.ts';
import { thresholdsFor, type Policy } from '../policy/policy.ts';
import type { Thresholds } from '../policy/schema.ts';
import { evaluateOutcome, overruledApproval } from '../verification/evaluate.ts';

/*
 * Policy replay, the pure part: what a candidate policy would have decided for one recorded verification,
 * from the ledger's facts alone, through the IdP's own judgement (evaluateOutcome, thresholdsFor,
 * attemptStatus). Whatever those facts cannot settle is undecidable, with its cause: never a guess.
 */

/** Scores as the ledger records them (null: not reported). */
export interface RecordedScores {
  liveness: number | null;
  match: number | null;
}

/** One verification as the ledger recorded it, from `verification.started` to its decision. */
export interface RecordedVerification {
  /** The verification id (the tokens' `txn`). */
  id: string;
  acr: string;
  vendor: string;
  startedAt: Date;
  expiresAt: Date;
  /** The floors applied when it ran. */
  thresholds: Thresholds;
  expectedSubject: string;
  /** The end state and the vendor's facts at that moment. */
  end: { state: string; at: Date; scores: RecordedScores; reportedSubject: string | null; reason: string | null };
  decision: { granted: boolean; reason: string };
  /** Rejections of the same account and level before it started (start times, as attempt limits count them). */
  earlierRejections: readonly Date[];
}

/** What the candidate decides: a grant, a denial and why, or undecidable and why. */
export type Redecision = { kind: 'granted' } | { kind: 'denied'; reason: string } | { kind: 'undecidable'; cause: string };

/** The candidate's decision for `v`. */
export function redecide(candidate: Policy, v: RecordedVerification): Redecision {
  const level = candidate.byAcr.get(v.acr);
  if (!level || level.acr !== v.acr) return undecidable('level_not_in_candidate');
  if (level.factor !== 'biometric') return undecidable('level_not_biometric');
  if (!level.vendors.includes(v.vendor)) return undecidable('vendor_not_in_level');
  if (level.attempts && attemptStatus(level.attempts, v.earlierRejections, v.startedAt).remaining === 0) {
    return { kind: 'denied', reason: 'attempts_exhausted' };
  }
  // The vendor's own no (rejection, expiry, abandonment…) stands whatever the policy.
  const vendorApproved = v.end.state === 'approved' || overruledApproval(v.end.state, v.end.reason);
  if (!vendorApproved) return { kind: 'denied', reason: v.end.reason ?? v.end.state };

  const floors = thresholdsFor(level, v.vendor);
  for (const score of ['liveness', 'match'] as const) {
    // A floor the recorded run did not apply, on a score the vendor did not report: the vendor may report
    // it when asked, or never; the ledger cannot say.
    if (floors[score] !== undefined && v.end.scores[score] === null && v.thresholds[score] === undefined) {
      return undecidable(`score_not_recorded:${score}`);
    }
  }
  const deadline = Math.min(v.expiresAt.getTime(), v.startedAt.getTime() + level.captureTimeout * 1000);
  const verdict = evaluateOutcome(
    {
      vendorSessionId: '',
      state: 'approved',
      vendorStatus: '',
      scores: reported(v.end.scores),
      subject: v.end.reportedSubject ?? undefined,
    },
    { thresholds: floors, subject: v.expectedSubject, expiresAt: new Date(deadline), now: v.end.at },
  );
  if (verdict.state !== 'approved') return { kind: 'denied', reason: verdict.reason ?? verdict.state };
  // Denied after an approval, for facts of the interaction the ledger does not hold (another session, say).
  if (!v.decision.granted && v.end.state === 'approved') return undecidable(`decided_on_unrecorded_facts:${v.decision.reason}`);
  return { kind: 'granted' };
}

function reported(scores: RecordedScores): { liveness?: number; match?: number } {
  return {
    ...(scores.liveness !== null ? { liveness: scores.liveness } : {}),
    ...(scores.match !== null ? { match: scores.match } : {}),
  };
}

function undecidable(cause: string): Redecision {
  return { kind: 'undecidable', cause };
}
