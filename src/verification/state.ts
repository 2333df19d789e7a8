import type { EnteredStateName } from '../ledger/events.ts';
import type { ReportedState } from '../vendors/types.ts';

/*
 * The verification state machine (vendors.md §6.1): a verification starts `pending`, may move to
 * `in_progress`, and ends in exactly one terminal state that never changes. A state never follows
 * itself, so a repeated status is a no-op even when the vendor's own status string differs.
 * The README's Architecture section draws the same table (test/verification/state.test.ts keeps them equal).
 */

/** Every state a verification can be in; the first two are open, the rest terminal. */
export const VERIFICATION_STATES = [
  'pending',
  'in_progress',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'abandoned',
  'failed',
] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];

/** The state every verification is created in. */
export const INITIAL_STATE = 'pending' satisfies VerificationState;

/** States a verification can still leave. */
export const OPEN_STATES = ['pending', 'in_progress'] as const satisfies readonly VerificationState[];

/** Whether a verification in `state` has ended for good. */
export const isTerminal = (state: VerificationState): boolean => !(OPEN_STATES as readonly VerificationState[]).includes(state);

const TERMINAL: readonly VerificationState[] = VERIFICATION_STATES.filter(isTerminal);

/** Which states may follow each state. */
export const TRANSITIONS: Readonly<Record<VerificationState, readonly VerificationState[]>> = {
  pending: ['in_progress', ...TERMINAL],
  in_progress: TERMINAL,
  approved: [],
  rejected: [],
  expired: [],
  cancelled: [],
  abandoned: [],
  failed: [],
};

/** Whether a verification in `from` may move to `to`. */
export function canTransition(from: VerificationState, to: VerificationState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states `to` may follow (what a conditional update may replace). */
export function sourcesOf(to: VerificationState): VerificationState[] {
  return VERIFICATION_STATES.filter((from) => canTransition(from, to));
}

/** The states a transition can lead to, each recorded as a `verification.<state>` ledger event. */
export type EnteredState = Exclude<VerificationState, typeof INITIAL_STATE>;

/** Whether some transition leads to `state`. */
export function isEntered(state: VerificationState): state is EnteredState {
  return sourcesOf(state).length > 0;
}

// Compile-time agreement with the layers below, which cannot import this file: every state a vendor
// adapter may report is a state here, and the ledger has an event type for exactly the entered states.
type Assert<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type StatesAgree = Assert<ReportedState extends VerificationState ? true : false> | Assert<Same<EnteredState, EnteredStateName>>;
