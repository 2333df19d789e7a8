import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { controlOutcome, ignoredScores } from '../types.ts';

/** authID's documented status enum (vendors.md §3.6). */
export const STATUS = { Pending: 0, Accepted: 1, Rejected: 2, Expired: 3, Error: 4, Canceled: 5 } as const;
export type AuthIdStatus = (typeof STATUS)[keyof typeof STATUS];

export const isOpen = (status: AuthIdStatus): boolean => status === STATUS.Pending;

/** A Verified transaction (`?t=`) or an operation (`?i=`); authID keeps them apart. */
export type SessionKind = 'transaction' | 'operation';

/** A transaction or operation as stored: what the API answers, plus fields only the emulator uses. */
export interface StoredAuthIdSession {
  kind: SessionKind;
  id: string;
  accountNumber: string;
  name: 'Verify_Identity' | 'GetForeignBiometry';
  status: AuthIdStatus;
  oneTimeSecret: string;
  /** `Tag` of an operation (the caller's reference). */
  tag?: string;
  /** GetForeignBiometry: `Payload.Metadata.BiometricVerificationResult.Verified` once Accepted. */
  verified?: boolean;
  /**
   * TransportType 1 (SMS) or 2 (email): authID sends the link to the account itself and returns no
   * OneTimeSecret. The sandbox sends nothing; it records where the link would have gone.
   */
  outOfBand?: { channel: 'sms' | 'email'; accountNumber: string; link: string };
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

/** What a person (hosted page) or a script (control endpoint) decides a session's result is. */
export const outcomeSchema = z
  .object({
    outcome: controlOutcome,
    /** GetForeignBiometry only: whether the captured selfie passed authID's biometric verification. */
    verified: z.boolean().default(true),
    /** Makes authID report another account, to exercise subject binding. */
    AccountNumber: z.string().min(1).max(128).optional(),
    // authID reports a verdict only.
    ...ignoredScores,
  })
  .strict();
export type Outcome = z.infer<typeof outcomeSchema>;

/** authID's documented TransportType values: 0 inline (embedded), 1 SMS, 2 email. */
export const transportType = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export type TransportType = z.infer<typeof transportType>;

/** A fresh Pending session that expires `timeoutSeconds` from `now`, its link sent by `transport`. */
export function newSession(
  input: {
    kind: SessionKind;
    accountNumber: string;
    name: StoredAuthIdSession['name'];
    timeoutSeconds: number;
    tag?: string;
    transport?: TransportType;
  },
  now: Date,
  publicUrl: string,
): StoredAuthIdSession {
  const session = inlineSession(input, now);
  if (!input.transport) return session;
  return {
    ...session,
    outOfBand: {
      channel: input.transport === 1 ? 'sms' : 'email',
      accountNumber: input.accountNumber,
      link: hostedUrl(publicUrl, session),
    },
  };
}

function inlineSession(
  input: { kind: SessionKind; accountNumber: string; name: StoredAuthIdSession['name']; timeoutSeconds: number; tag?: string },
  now: Date,
): StoredAuthIdSession {
  const at = now.toISOString();
  return {
    kind: input.kind,
    id: randomUUID(),
    accountNumber: input.accountNumber,
    name: input.name,
    status: STATUS.Pending,
    // Like the seed's example (`TbAeETwpOxbvKy7rWCeOcQ==`): 16 random bytes, standard base64.
    oneTimeSecret: randomBytes(16).toString('base64'),
    ...(input.tag ? { tag: input.tag } : {}),
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now.getTime() + input.timeoutSeconds * 1000).toISOString(),
  };
}

/**
 * The session after `outcome`; the caller has checked that it is still Pending. authID has no separate
 * "abandoned": a person who declines is reported Rejected (vendors.md §6.2). `processing` leaves it Pending
 * (authID shows no in-progress status server-side).
 */
export function applyOutcome(session: StoredAuthIdSession, outcome: Outcome, now: Date): StoredAuthIdSession {
  const next: StoredAuthIdSession = {
    ...session,
    updatedAt: now.toISOString(),
    ...(outcome.AccountNumber ? { accountNumber: outcome.AccountNumber } : {}),
  };
  switch (outcome.outcome) {
    case 'approve':
      return { ...next, status: STATUS.Accepted, ...(session.kind === 'operation' ? { verified: outcome.verified } : {}) };
    case 'reject':
    case 'abandon':
      return { ...next, status: STATUS.Rejected };
    case 'expire':
      return { ...next, status: STATUS.Expired };
    case 'error':
      return { ...next, status: STATUS.Error };
    case 'processing':
      return next;
  }
}

/** A Pending session past its Timeout reads as Expired, as authID would report it (the sandbox has no timer). */
export function expireIfDue(session: StoredAuthIdSession, now: Date): StoredAuthIdSession {
  if (!isOpen(session.status) || now.getTime() < Date.parse(session.expiresAt)) return session;
  return { ...session, status: STATUS.Expired, updatedAt: now.toISOString() };
}

const idField = (session: StoredAuthIdSession) =>
  session.kind === 'transaction' ? { TransactionId: session.id } : { OperationId: session.id };

/** The status endpoint's answer: `{ Status }` plus the echoed id, AccountNumber and Name (ASM). */
export function statusBody(session: StoredAuthIdSession): Record<string, unknown> {
  return { ...idField(session), AccountNumber: session.accountNumber, Name: session.name, Status: session.status };
}

/** An operation's result: the selfie verification verdict once Accepted, else no payload. */
export function resultBody(session: StoredAuthIdSession): Record<string, unknown> {
  const accepted = session.status === STATUS.Accepted;
  return {
    ...statusBody(session),
    Payload: accepted ? { Metadata: { BiometricVerificationResult: { Verified: session.verified ?? false } } } : null,
  };
}

/** The webhook body the emulator sends on a status change (ASM, vendors.md §3.8). */
export function webhookBody(session: StoredAuthIdSession, now: Date): string {
  return JSON.stringify({ ...statusBody(session), Timestamp: now.toISOString() });
}

/** The hosted UI address for a session, as authID's docs build it. */
export function hostedUrl(publicUrl: string, session: StoredAuthIdSession): string {
  const param = session.kind === 'transaction' ? 't' : 'i';
  return `${publicUrl}/?${param}=${encodeURIComponent(session.id)}&s=${encodeURIComponent(session.oneTimeSecret)}`;
}
