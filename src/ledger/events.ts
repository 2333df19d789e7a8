/*
 * Every event the IdP writes to the ledger, with the shape of its `data`. The README's event catalogue
 * lists the same types (test/ledger/events.test.ts keeps them equal). Readers keep the stored type as
 * a string: a ledger written by another version may hold types this one no longer writes.
 */

import type { EventEnvelope } from './chain.ts';

/** Score floors or scores on the normalised 0–1 scale. */
type Floors = { liveness?: number; match?: number };
type Scores = { liveness: number | null; match: number | null };

/**
 * The states a verification can enter (`verification.<state>`); src/verification/state.ts checks at
 * compile time that they are exactly its states other than the initial one.
 */
export type EnteredStateName = 'in_progress' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'abandoned' | 'failed';

/** What a state change records: the change, the vendor's facts at that moment, and a cause when one is known. */
type StateChange = {
  from: string;
  to: EnteredStateName;
  vendorSessionId: string | null;
  vendorStatus: string | null;
  scores: Scores;
  reportedSubject: string | null;
  reason: string | null;
  /** Why the vendor could not start the capture. */
  message?: string;
  /** Set when the person's browser reported the end (`browser`). */
  source?: 'browser';
};

/** The outcome of the policy applied to a verification. */
type Decision = {
  state: string;
  amr?: string[];
  scores: Scores;
  thresholds: Floors;
  policyHash: string;
  reason: string;
};

/** Each event type and the shape of its `data`. */
export type EventData = {
  'verification.started': {
    interactionUid: string;
    vendorType: string;
    expectedSubject: string;
    thresholds: Floors;
    policyHash: string;
    expiresAt: string;
  };
  'vendor.failover': { reason: string; next: string };
  'stepup.granted': Decision;
  'stepup.denied': Decision;
  'policy.loaded': { hash: string; file: string; trigger: string; source: string; warnings: string[] };
  'keys.rotated': { keys: Array<{ kid: string; alg: string }>; activeAt: string };
  /** `commitment` is what the account's rows carry in `accountId`; the id itself is never recorded. */
  'account.erased': { commitment: string };
} & { [S in EnteredStateName as `verification.${S}`]: StateChange };

/** A type of event the IdP writes. */
export type LedgerEventType = keyof EventData;

/** What a writer records: one event of the catalogue; the ledger adds seq, hashes and (by default) the time. */
export type LedgerEventInput = {
  [T in LedgerEventType]: { type: T; data: EventData[T] } & EventEnvelope;
}[LedgerEventType];

/** Every event type with what it records, in one line each (the README's catalogue). */
export const EVENT_CATALOGUE = {
  'verification.started': 'a capture was started at a vendor: vendor type, enrolled reference, thresholds, policy hash, deadline',
  'verification.in_progress': 'the vendor reports the person is doing the capture',
  'verification.approved': "the vendor's record was read and meets the policy (scores, subject, deadline)",
  'verification.rejected': 'the vendor rejected the capture, or its approval misses a threshold or the enrolled subject',
  'verification.expired': 'the capture timeout passed, or the vendor says the session expired',
  'verification.cancelled': 'ended by the IdP (a newer step-up, another vendor chosen, the sign-in expired) or by the vendor',
  'verification.abandoned': 'the person gave up',
  'verification.failed': 'the vendor could not run the capture (unavailable, refused, unknown status)',
  'vendor.failover': 'a vendor could not start and the next vendor of the level is tried',
  'stepup.granted': 'the decision: the verification gave the acr (scores, thresholds, policy hash, amr)',
  'stepup.denied': 'the decision: the verification did not give the acr, and why',
  'policy.loaded': 'a policy came into force: its hash, file, source text and warnings',
  'keys.rotated': 'new token signing keys were added: their kids and when they start signing',
  'account.erased': "an account's commitment key was deleted: the commitment its rows carry, never its id",
} as const satisfies Record<LedgerEventType, string>;
