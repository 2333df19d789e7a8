import type { Knex } from 'knex';
import { stageWithChange } from '../ledger/ledger.ts';
import type { LedgerEventInput } from '../ledger/events.ts';
import { TABLE, ledgerSubject, toVerification, type Verification, type VerificationRow } from './row.ts';
import { isTerminal, type EnteredState } from './state.ts';

/** Facts learnt with a state change; absent fields keep their stored value. */
export interface TransitionPatch {
  vendorStatus?: string;
  liveness?: number;
  match?: number;
  reportedSubject?: string;
  reason?: string;
}

/** What caused a state change, when more than the vendor's record: recorded with it. */
export interface TransitionCause {
  /** Why the vendor could not start the capture. */
  message?: string;
  /** The person's browser reported the end. */
  source?: 'browser';
}

/** The columns a state change to `to` writes. */
export function changedColumns(to: EnteredState, now: Date, patch: TransitionPatch): Record<string, unknown> {
  const facts = {
    vendor_status: patch.vendorStatus,
    liveness: patch.liveness,
    match: patch.match,
    reported_subject: patch.reportedSubject,
    reason: patch.reason,
  };
  return {
    state: to,
    updated_at: now,
    ...(isTerminal(to) ? { decided_at: now } : {}),
    ...Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)),
  };
}

/** The ledger event of a state change from `from`, given the verification as changed. */
export function stateChangeEvent(
  verification: Verification,
  from: string,
  to: EnteredState,
  at: Date,
  cause: TransitionCause,
): LedgerEventInput {
  return {
    ...ledgerSubject(verification),
    type: `verification.${to}`,
    at,
    data: {
      ...cause,
      from,
      to,
      vendorSessionId: verification.vendorSessionId,
      vendorStatus: verification.vendorStatus,
      scores: { liveness: verification.liveness, match: verification.match },
      reportedSubject: verification.reportedSubject,
      reason: verification.reason,
    },
  };
}

/**
 * Applies a state change to a verification still exactly as `seen` (its state and every fact its event
 * records), and stages that event, in one statement: the event is written from `seen` and the patch, so
 * it is what the row becomes. Undefined when the row moved on meanwhile (or `seen` cannot go to `to`):
 * the caller then takes the row lock and reads what it replaces.
 */
export async function changeAsSeen(
  knex: Knex | Knex.Transaction,
  seen: Verification,
  to: EnteredState,
  now: Date,
  patch: TransitionPatch,
  cause: TransitionCause,
): Promise<Verification | undefined> {
  const columns = changedColumns(to, now, patch);
  const after: Verification = {
    ...seen,
    state: to,
    vendorStatus: patch.vendorStatus !== undefined ? patch.vendorStatus : seen.vendorStatus,
    liveness: patch.liveness !== undefined ? patch.liveness : seen.liveness,
    match: patch.match !== undefined ? patch.match : seen.match,
    reportedSubject: patch.reportedSubject !== undefined ? patch.reportedSubject : seen.reportedSubject,
    reason: patch.reason !== undefined ? patch.reason : seen.reason,
  };
  const change = knex(TABLE)
    .where({ id: seen.id, state: seen.state })
    .whereRaw(
      `vendor_session_id is not distinct from ? and vendor_status is not distinct from ? and liveness is not distinct from ?::double precision
       and match is not distinct from ?::double precision and reported_subject is not distinct from ? and reason is not distinct from ?`,
      [seen.vendorSessionId, seen.vendorStatus, seen.liveness, seen.match, seen.reportedSubject, seen.reason],
    )
    .update(columns)
    .returning('*');
  const [row] = await stageWithChange<VerificationRow>(knex, stateChangeEvent(after, seen.state, to, now, cause), change);
  return row && toVerification(row);
}
