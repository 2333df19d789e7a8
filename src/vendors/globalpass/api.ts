import { z } from 'zod';
import { StepUpError, type VendorRefusedError } from '../../errors.ts';
import { ownEntry } from '../lookup.ts';
import { vendorRefusals } from '../response.ts';
import type { VendorOutcome, ReportedState } from '../types.ts';

export const VENDOR = 'globalpass';
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** An instant biometrics id. */
export const idSchema = z.string().regex(ID);

export const createdSchema = z.looseObject({
  id: idSchema.optional(),
  instantBiometricsId: idSchema.optional(),
  token: idSchema.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

export const recordSchema = z.looseObject({
  id: idSchema.optional(),
  instantBiometricsId: idSchema.optional(),
  status: z.string().min(1).max(64),
  screeningToken: z.string().min(1).max(128).optional(),
});

const problemSchema = z.looseObject({ errors: z.record(z.string(), z.unknown()).optional() });

const STATES: Record<string, ReportedState> = {
  initiated: 'pending',
  processing: 'in_progress',
  accepted: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
};

// What GlobalPass refused and what the operator can do. Never the vendor's own text: it may name the person.
const REFUSALS: Record<string, string> = {
  UNAUTHORIZED: 'GlobalPass refused the API client credentials (clientId / clientSecret); check the vendor configuration',
  TOKEN_REFUSED: 'the GlobalPass identity server refused the client-credentials request; check the API client in the portal',
  FORBIDDEN: 'the GlobalPass API client may not use instant biometrics; check its scopes in the GlobalPass portal',
  SCREENING_NOT_ELIGIBLE:
    "the person's KYC screening is neither Accepted nor Rejected with ConditionsNotMet, so GlobalPass will not run instant biometrics; the person must pass KYC first",
  SCREENING_NOT_FOUND: "GlobalPass has no KYC screening with the person's enrolled screeningToken; link the person's current screening",
  INVALID_SUBJECT: "the person's enrolled GlobalPass reference is not a screeningToken (UUID); link the person's screening again",
  INVALID_REQUEST: 'GlobalPass refused the request as malformed; the API contract may have changed',
  NOT_FOUND: 'GlobalPass has no such instant biometrics check',
  INVALID_STATE: 'the instant biometrics check is no longer Initiated or Processing',
};

type Operation = 'start' | 'read' | 'cancel';

function refusalCode(status: number, body: unknown, operation: Operation): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return operation === 'start' ? 'SCREENING_NOT_FOUND' : 'NOT_FOUND';
  if (status === 400 && problemSchema.safeParse(body).data?.errors) return 'INVALID_REQUEST';
  if (operation === 'start' && (status === 400 || status === 409)) return 'SCREENING_NOT_ELIGIBLE';
  if (operation === 'cancel' && status === 409) return 'INVALID_STATE';
  return `HTTP_${status}`;
}

/** A GlobalPass refusal by code, explained for the operator. */
export const refused = vendorRefusals(VENDOR, 'GlobalPass', REFUSALS);

/** The refusal a GlobalPass 4xx (RFC 7807 ProblemDetails) means in `operation`. */
export function refusal(status: number, body: unknown, operation: Operation): VendorRefusedError {
  return refused(refusalCode(status, body, operation), { status });
}

/** What an instant biometrics record says; its screeningToken is the subject. */
export function toOutcome(vendorSessionId: string, record: z.infer<typeof recordSchema>): VendorOutcome {
  const state = ownEntry(STATES, record.status.toLowerCase());
  return {
    vendorSessionId,
    state: state ?? 'failed',
    vendorStatus: record.status,
    scores: {},
    ...(record.screeningToken ? { subject: record.screeningToken } : {}),
    ...(state ? {} : { reason: `unknown_status:${record.status}` }),
  };
}

/** The API path of one check, plus `suffix`; refuses anything that could be a dot segment or escape the path. */
export function checkPath(instantBiometricsId: string, suffix = ''): string {
  if (!ID.test(instantBiometricsId)) throw new StepUpError('bad_request', `${VENDOR}: not an instant biometrics id`);
  return `/api/v2/instant-biometrics/${instantBiometricsId}${suffix}`;
}
