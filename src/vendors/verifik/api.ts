import { z } from 'zod';
import { StepUpError, type VendorRefusedError } from '../../errors.ts';
import { httpUrl } from '../config.ts';
import { ownEntry } from '../lookup.ts';
import { vendorRefusals } from '../response.ts';
import type { VendorOutcome, ReportedState } from '../types.ts';

export const VENDOR = 'verifik';
/** The biometric validations collection. */
export const VALIDATIONS = '/v2/biometric-validations';
/** The documented lifetime of the liveness session a biometric validation runs in. */
export const LIVENESS_SESSION_SECONDS = 4 * 60;
/** A Mongo ObjectId (24 hex digits): every Verifik id. */
export const OBJECT_ID = /^[0-9a-f]{24}$/i;

export const objectId = z.string().regex(OBJECT_ID, 'must be a Verifik ObjectId (24 hex digits)');

export const createdSchema = z.looseObject({
  data: z.looseObject({
    biometricValidation: z.looseObject({ _id: objectId, url: httpUrl() }),
    livenessSession: z.looseObject({ expiresAt: z.iso.datetime({ offset: true }) }),
  }),
});

const score = z.number().min(0).max(1);
const validationSchema = z.looseObject({
  _id: objectId,
  status: z.string().min(1),
  livenessScore: score.nullish(),
  biometricData: z.looseObject({ livenessScore: score.nullish() }).nullish(),
  verificationResults: z.looseObject({ livenessDetection: z.string().nullish(), identityMatch: z.string().nullish() }).nullish(),
  // A populated person, or a bare reference id (which names no identifier and so binds nobody).
  person: z.union([z.looseObject({ identifier: z.string().min(1).max(256).nullish() }), z.string()]).nullish(),
});
export const recordSchema = z.looseObject({ data: validationSchema });

const errorSchema = z.looseObject({ code: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/) });

const STATES: Record<string, ReportedState> = {
  new: 'pending',
  pending: 'in_progress',
  validated: 'approved',
  completed: 'approved',
  failed: 'rejected',
  expired: 'expired',
};

// What Verifik refused and what the operator can do. Never the vendor's own message.
const REFUSALS: Record<string, string> = {
  MissingParameter: 'Verifik says a required parameter is missing; check project and projectFlow in the vendor configuration',
  Project_not_found_or_featured_disabled:
    'Verifik has no such project, or biometric login is disabled for it; check project and projectFlow and that the flow has liveness and a collection',
  UNAUTHORIZED: 'Verifik rejected the access token (expired or revoked); renew it and update the vendor configuration',
  NOT_FOUND: 'Verifik has no such biometric validation',
};

const refused = vendorRefusals(VENDOR, 'Verifik', REFUSALS);

/** The refusal a Verifik 4xx means; only the body's `code` is read. */
export function refusal(status: number, body: unknown): VendorRefusedError {
  const error = errorSchema.safeParse(body);
  const vendorCode = error.success ? error.data.code : undefined;
  // A 401 is always the token, whatever code the body carries.
  const code =
    status === 401
      ? 'UNAUTHORIZED'
      : status === 404 && vendorCode !== 'Project_not_found_or_featured_disabled'
        ? 'NOT_FOUND'
        : (vendorCode ?? `HTTP_${status}`);
  return refused(code, { status });
}

function rejectionReason(validation: z.infer<typeof validationSchema>): string | undefined {
  const results = validation.verificationResults;
  if (results?.livenessDetection === 'failed') return 'LIVENESS_DETECTION_FAILED';
  if (results?.identityMatch === 'failed') return 'IDENTITY_VERIFICATION_FAILED';
  return undefined;
}

/** What a biometric validation says; the subject is the person the 1:N search matched, never the identifier sent. */
export function toOutcome(validation: z.infer<typeof validationSchema>): VendorOutcome {
  const known = ownEntry(STATES, validation.status);
  const state = known ?? 'failed';
  const scores: VendorOutcome['scores'] = {};
  const liveness = validation.livenessScore ?? validation.biometricData?.livenessScore;
  if (validation.status !== 'new' && liveness != null) scores.liveness = liveness;
  const person = validation.person;
  const subject = person && typeof person === 'object' ? (person.identifier ?? undefined) : undefined;
  const reason = !known
    ? `unknown_status:${validation.status.slice(0, 64)}`
    : state === 'rejected'
      ? rejectionReason(validation)
      : undefined;
  return {
    vendorSessionId: validation._id,
    state,
    vendorStatus: validation.status,
    scores,
    ...(subject ? { subject } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** The API path of one validation; only an ObjectId gets into it. */
export function validationPath(vendorSessionId: string): string {
  if (!OBJECT_ID.test(vendorSessionId)) throw new StepUpError('bad_request', `${VENDOR}: not a Verifik validation id`);
  return `${VALIDATIONS}/${vendorSessionId}`;
}
