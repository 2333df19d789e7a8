import { z } from 'zod';
import { StepUpError, type VendorRefusedError } from '../../errors.ts';
import { httpUrl } from '../config.ts';
import { ownEntry } from '../lookup.ts';
import { vendorRefusals } from '../response.ts';
import type { VendorOutcome, ReportedState } from '../types.ts';

export const VENDOR = 'gu1';
/** The biometric sessions collection. */
export const SESSIONS = '/api/kyc/biometric/sessions';
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** A Gu1 session id. */
export const sessionId = z.string().regex(SESSION_ID);

export const createdSchema = z.looseObject({
  id: sessionId,
  sessionUrl: httpUrl(),
  iframeAllow: z.string().min(1).optional(),
});

const score = z.number().min(0).max(100);
export const recordSchema = z.looseObject({
  id: sessionId,
  entityId: z.string().min(1),
  status: z.string().min(1),
  rejectionCode: z.string().min(1).nullish(),
  decision: z
    .looseObject({
      faceMatch: z.looseObject({ score }).nullish(),
      liveness: z.looseObject({ score }).nullish(),
    })
    .nullish(),
});

const errorSchema = z.looseObject({
  error: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
  activeSessionId: z.string().optional(),
});

const STATES: Record<string, ReportedState> = {
  pending: 'pending',
  in_progress: 'in_progress',
  approved: 'approved',
  rejected: 'rejected',
  abandoned: 'abandoned',
  cancelled: 'cancelled',
  expired: 'expired',
};

// What Gu1 refused and what the operator can do. Never the vendor's own message: it may name the person.
const REFUSALS: Record<string, string> = {
  NO_PORTRAIT: 'the person has no reference portrait from an approved Gu1 KYC; enrol them again',
  BIOMETRIC_WORKFLOW_NOT_CONFIGURED: 'hosted biometric capture is not provisioned for the organization; contact Gu1',
  NOT_ENABLED: 'Gu1 Biometric (global_gueno_biometric_kyc) is not enabled for the organization; request activation',
  ACTIVE_SESSION_EXISTS: 'the person already has a pending or in-progress biometric session',
  UNAUTHORIZED: 'Gu1 rejected the API key; check the vendor configuration',
  NOT_FOUND: 'Gu1 has no such biometric session',
  INVALID_STATE: 'the session is no longer pending or in progress',
};

const refused = vendorRefusals(VENDOR, 'Gu1', REFUSALS);

/** The refusal a Gu1 4xx means: Gu1's own error code, and the active session it names, if any. */
export function refusal(status: number, body: unknown): VendorRefusedError {
  const error = errorSchema.safeParse(body);
  const vendorCode = error.success ? error.data.error : undefined;
  // A 401 is always the key, whatever code Gu1 puts in the body.
  const code = status === 401 ? 'UNAUTHORIZED' : (vendorCode ?? (status === 404 ? 'NOT_FOUND' : `HTTP_${status}`));
  const details: Record<string, unknown> = { status };
  if (error.success && error.data.activeSessionId) details.activeSessionId = error.data.activeSessionId;
  return refused(code, details);
}

/** What a session record says; scores come as 0–100 and are reported as 0–1. */
export function toOutcome(record: z.infer<typeof recordSchema>): VendorOutcome {
  const known = ownEntry(STATES, record.status);
  const state = known ?? 'failed';
  const scores: VendorOutcome['scores'] = {};
  const liveness = record.decision?.liveness?.score;
  const match = record.decision?.faceMatch?.score;
  if (liveness !== undefined) scores.liveness = liveness / 100;
  if (match !== undefined) scores.match = match / 100;
  const reason = known ? record.rejectionCode : `unknown_status:${record.status.slice(0, 64)}`;
  return {
    vendorSessionId: record.id,
    state,
    vendorStatus: record.status,
    scores,
    subject: record.entityId,
    ...(reason ? { reason } : {}),
  };
}

/** The API path of one session, plus `suffix`; refuses anything that could be a dot segment or escape the path. */
export function sessionPath(vendorSessionId: string, suffix = ''): string {
  if (!SESSION_ID.test(vendorSessionId)) throw new StepUpError('bad_request', `${VENDOR}: not a Gu1 session id`);
  return `${SESSIONS}/${vendorSessionId}${suffix}`;
}
