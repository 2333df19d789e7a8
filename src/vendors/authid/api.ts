import { z } from 'zod';
import { StepUpError, type VendorRefusedError } from '../../errors.ts';
import { vendorRefusals } from '../response.ts';
import type { ReportedState } from '../types.ts';

export const VENDOR = 'authid';
/** Everything but the token endpoints lives under this path. */
export const API = '/IDCompleteBackendEngine/Default/AuthorizationServiceRest/v2';
const ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
/** Marks an operation's vendorSessionId; a transaction's is its bare TransactionId. */
export const OPERATION_PREFIX = 'o:';

/** An authID transaction or operation id: it ends up in URL paths. */
export const idSchema = z.string().regex(ID);
export const transactionCreatedSchema = z.looseObject({ TransactionId: idSchema, OneTimeSecret: z.string().min(1).max(1024) });
export const operationCreatedSchema = z.looseObject({ OperationId: idSchema, OneTimeSecret: z.string().min(1).max(1024) });
export const statusSchema = z.looseObject({
  Status: z.number().int(),
  AccountNumber: z.string().min(1).max(256).nullish(),
  TransactionId: z.string().nullish(),
  OperationId: z.string().nullish(),
});
export const resultSchema = z.looseObject({
  AccountNumber: z.string().min(1).max(256).nullish(),
  Payload: z.looseObject({
    Metadata: z.looseObject({ BiometricVerificationResult: z.looseObject({ Verified: z.boolean() }) }),
  }),
});
const errorSchema = z.looseObject({ ID: z.string().regex(/^E_[A-Z0-9_]{1,64}$/) });

/** authID's documented status enum (shared by enrolment, capture and authentication). */
export const STATUSES: Record<number, { name: string; state: ReportedState; reason?: string }> = {
  0: { name: 'Pending', state: 'pending' },
  1: { name: 'Accepted', state: 'approved' },
  2: { name: 'Rejected', state: 'rejected', reason: 'authid_rejected' },
  3: { name: 'Expired', state: 'expired', reason: 'authid_expired' },
  4: { name: 'Error', state: 'failed', reason: 'authid_error' },
  5: { name: 'Canceled', state: 'cancelled', reason: 'authid_canceled' },
};

// What authID refused and what the operator can do. Never the vendor's own Message: it may name the person.
const REFUSALS: Record<string, string> = {
  UNAUTHORIZED: 'authID rejected the API key; check apiKeyId and apiKeyValue',
  ACCOUNT_NOT_READY:
    'the authID account has no biometric credential or is locked out; enrol the person again or wait for the lockout to end',
  NOT_FOUND: 'authID has no such transaction or operation (yet: UAT answers 404 for a while after creation)',
  INVALID_STATE: 'the transaction or operation is no longer pending',
};

/** The two kinds of authID session. */
export type Kind = 'transaction' | 'operation';
type Context = 'token' | 'start' | 'read' | 'cancel';

const refused = vendorRefusals(VENDOR, 'authID', REFUSALS);

/** The refusal an authID 4xx means in `context`; authID's own error ID is kept, its Message never. */
export function refusal(status: number, body: unknown, context: Context): VendorRefusedError {
  const error = errorSchema.safeParse(body);
  const authidError = error.success ? error.data.ID : undefined;
  let code: string;
  if (status === 401 || (context === 'token' && (status === 400 || status === 403))) code = 'UNAUTHORIZED';
  else if (status === 409 && context === 'start') code = 'ACCOUNT_NOT_READY';
  else if (status === 409 && context === 'cancel') code = 'INVALID_STATE';
  else if (status === 404) code = 'NOT_FOUND';
  else code = authidError ?? `HTTP_${status}`;
  const details: Record<string, unknown> = { status, ...(authidError ? { authidError } : {}) };
  return refused(code, details);
}

/** Which kind of authID session a vendorSessionId names; refuses anything that could escape a URL path. */
export function parseSessionId(vendorSessionId: string): { kind: Kind; id: string } {
  const operation = vendorSessionId.startsWith(OPERATION_PREFIX);
  const bare = operation ? vendorSessionId.slice(OPERATION_PREFIX.length) : vendorSessionId;
  if (!ID.test(bare)) throw new StepUpError('bad_request', `${VENDOR}: not an authID transaction or operation id`);
  return { kind: operation ? 'operation' : 'transaction', id: bare };
}

/** The API path of one transaction or operation, plus `suffix` (`/status`, `/result`, `/cancel`). */
export const sessionPath = (kind: Kind, bare: string, suffix: string) =>
  `${API}/${kind === 'transaction' ? 'transactions' : 'operations'}/${bare}${suffix}`;
