import type { Thresholds } from '../policy/schema.ts';
import type { Presentation, WebhookHint } from '../vendors/types.ts';
import type { VerificationState } from './state.ts';

/** The table verifications are kept in. */
export const TABLE = 'verifications';

/** One step-up attempt at one vendor (a row of `verifications`). */
export interface Verification {
  id: string;
  interactionUid: string;
  accountId: string;
  clientId: string;
  acr: string;
  /** The policy's vendor id (`vendors.<id>`). */
  vendor: string;
  vendorType: string;
  vendorSessionId: string | null;
  /** The account's enrolled reference at this vendor. */
  expectedSubject: string;
  /** The subject the vendor says it verified. */
  reportedSubject: string | null;
  state: VerificationState;
  vendorStatus: string | null;
  liveness: number | null;
  match: number | null;
  reason: string | null;
  policyHash: string;
  thresholds: Thresholds;
  presentation: Presentation | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  nextPollAt: Date | null;
  pollAttempts: number;
  /** The last authenticated webhook about this verification (kept for vendors whose record needs it). */
  lastWebhook: WebhookHint | null;
}

/** A row of `verifications` as the database returns it. */
export interface VerificationRow {
  id: string;
  interaction_uid: string;
  account_id: string;
  client_id: string;
  acr: string;
  vendor: string;
  vendor_type: string;
  vendor_session_id: string | null;
  expected_subject: string;
  reported_subject: string | null;
  state: VerificationState;
  vendor_status: string | null;
  liveness: number | null;
  match: number | null;
  reason: string | null;
  policy_hash: string;
  thresholds: Thresholds;
  presentation: Presentation | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  next_poll_at: Date | null;
  poll_attempts: number;
  last_webhook: (Omit<WebhookHint, 'occurredAt'> & { occurredAt?: string }) | null;
}

/** What the orchestrator knows when it starts a step-up at a vendor; `expiresAt` is its deadline. */
export type NewVerification = Pick<
  Verification,
  | 'interactionUid'
  | 'accountId'
  | 'clientId'
  | 'acr'
  | 'vendor'
  | 'vendorType'
  | 'expectedSubject'
  | 'policyHash'
  | 'thresholds'
  | 'expiresAt'
>;

/** The ledger fields that name what a verification's events are about. */
export function ledgerSubject(v: Verification) {
  return { verificationId: v.id, accountId: v.accountId, clientId: v.clientId, acr: v.acr, vendor: v.vendor };
}

/** A stored row as a Verification. */
export function toVerification(row: VerificationRow): Verification {
  return {
    id: row.id,
    interactionUid: row.interaction_uid,
    accountId: row.account_id,
    clientId: row.client_id,
    acr: row.acr,
    vendor: row.vendor,
    vendorType: row.vendor_type,
    vendorSessionId: row.vendor_session_id,
    expectedSubject: row.expected_subject,
    reportedSubject: row.reported_subject,
    state: row.state,
    vendorStatus: row.vendor_status,
    liveness: row.liveness,
    match: row.match,
    reason: row.reason,
    policyHash: row.policy_hash,
    thresholds: row.thresholds,
    presentation: row.presentation,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    nextPollAt: row.next_poll_at,
    pollAttempts: row.poll_attempts,
    lastWebhook:
      row.last_webhook &&
      ({
        ...row.last_webhook,
        ...(row.last_webhook.occurredAt ? { occurredAt: new Date(row.last_webhook.occurredAt) } : {}),
      } as WebhookHint),
  };
}
