import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { controlOutcome, controlScore } from '../types.ts';

/** Gu1's documented session statuses (vendors.md §4.3). */
export type Gu1Status = 'pending' | 'in_progress' | 'approved' | 'rejected' | 'abandoned' | 'cancelled' | 'expired';

export const OPEN_STATUSES: readonly Gu1Status[] = ['pending', 'in_progress'];
export const isOpen = (s: Gu1Status): boolean => OPEN_STATUSES.includes(s);

/** Per-request webhooks fire on these terminal statuses only (seed 003); cancel and TTL expiry fire none. */
export const WEBHOOK_STATUSES: readonly Gu1Status[] = ['approved', 'rejected', 'abandoned', 'expired'];

export const IFRAME_ALLOW = 'camera; microphone; fullscreen; autoplay; encrypted-media';

/** The `decision` shape the sandbox reports (an assumption; see the header of src/vendors/gu1/index.ts). */
export interface Gu1Decision {
  faceMatch: { score: number; threshold: number };
  liveness: { score: number; passed: boolean };
}

/** A session as stored: the record Gu1's API returns, plus fields only the emulator uses. */
export interface StoredSession {
  id: string;
  entityId: string;
  organizationId: string;
  status: Gu1Status;
  iframeAllow: string;
  mode: 'face_match';
  hostedSessionId: string;
  rejectionCode?: string;
  rejectionMessage?: string;
  decision?: Gu1Decision;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  // Emulator-only: never part of an API answer.
  language: string;
  workflowId?: string;
  callback?: string;
  webhookUrl?: string;
  expiresAt: string;
  /** Set by the `error` outcome: the API then answers this session with an HTML 500. */
  fault?: boolean;
}

/** What a person (hosted page) or a script (control endpoint) decides a session's result is. */
export const outcomeSchema = z
  .object({
    outcome: controlOutcome,
    liveness: controlScore().default(0.97),
    match: controlScore().default(0.93),
    /** Makes the vendor report another person, to exercise subject binding. */
    entityId: z.string().min(1).max(128).optional(),
  })
  .strict();
export type Outcome = z.infer<typeof outcomeSchema>;

/** Gu1's documented default face-match approve threshold on its 0–100 scale. */
const FACE_MATCH_THRESHOLD = 30;
const LIVENESS_PASS = 50;

/** What a create request asks for, with the organization it is made under. */
export interface SessionInput {
  entityId: string;
  organizationId: string;
  language: string;
  workflowId?: string;
  callback?: string;
  webhookUrl?: string;
}

/** A fresh `pending` session expiring `ttlSeconds` from `now`. */
export function newSession(input: SessionInput, now: Date, ttlSeconds: number): StoredSession {
  const at = now.toISOString();
  return {
    id: randomUUID(),
    entityId: input.entityId,
    organizationId: input.organizationId,
    status: 'pending',
    iframeAllow: IFRAME_ALLOW,
    mode: 'face_match',
    hostedSessionId: `hs_${randomBytes(12).toString('hex')}`,
    createdAt: at,
    updatedAt: at,
    language: input.language,
    ...(input.workflowId ? { workflowId: input.workflowId } : {}),
    ...(input.callback ? { callback: input.callback } : {}),
    ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
  };
}

/** The session after `outcome`; the caller has checked that it is still open. */
export function applyOutcome(session: StoredSession, outcome: Outcome, now: Date): StoredSession {
  const at = now.toISOString();
  const { fault: _cleared, ...rest } = session;
  const next: StoredSession = { ...rest, updatedAt: at, ...(outcome.entityId ? { entityId: outcome.entityId } : {}) };
  const decision = {
    faceMatch: { score: percent(outcome.match), threshold: FACE_MATCH_THRESHOLD },
    liveness: { score: percent(outcome.liveness), passed: percent(outcome.liveness) >= LIVENESS_PASS },
  };
  switch (outcome.outcome) {
    case 'approve':
      return { ...next, status: 'approved', decision, completedAt: at };
    case 'reject':
      return {
        ...next,
        status: 'rejected',
        decision,
        rejectionCode: 'FACE_MATCH_SCORE_LOW',
        rejectionMessage: 'Face match score is below the organization threshold',
        completedAt: at,
      };
    case 'abandon':
      return { ...next, status: 'abandoned', completedAt: at };
    case 'expire':
      return { ...next, status: 'expired', completedAt: at };
    case 'processing':
      return { ...next, status: 'in_progress' };
    case 'error':
      return { ...next, fault: true };
  }
}

/** An open session past its TTL reads as expired, as Gu1 would report it (the sandbox has no timer). */
export function expireIfDue(session: StoredSession, now: Date): StoredSession {
  if (!isOpen(session.status) || now.getTime() < Date.parse(session.expiresAt)) return session;
  return { ...session, status: 'expired', updatedAt: now.toISOString(), completedAt: session.expiresAt };
}

/** The session as Gu1's REST API (and webhook `payload`) shows it. */
export function present(session: StoredSession, publicUrl: string): Record<string, unknown> {
  return {
    id: session.id,
    entityId: session.entityId,
    organizationId: session.organizationId,
    status: session.status,
    ...(isOpen(session.status) ? { sessionUrl: `${publicUrl}/session/${session.id}` } : {}),
    iframeAllow: session.iframeAllow,
    mode: session.mode,
    hostedSessionId: session.hostedSessionId,
    ...(session.rejectionCode ? { rejectionCode: session.rejectionCode, rejectionMessage: session.rejectionMessage } : {}),
    ...(session.decision ? { decision: session.decision } : {}),
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
    ...(session.completedAt ? { completedAt: session.completedAt } : {}),
  };
}

// Two decimals on the 0–100 scale, so 0.93 reads back as exactly 0.93 after the adapter divides by 100.
function percent(score: number): number {
  return Math.round(score * 10_000) / 100;
}
