import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { controlOutcome, controlScore } from '../types.ts';

/** The statuses the emulator emits (vendors.md §2.4: `new → pending → validated | failed | expired`). */
export type VerifikStatus = 'new' | 'pending' | 'validated' | 'failed' | 'expired';

export const OPEN_STATUSES: readonly VerifikStatus[] = ['new', 'pending'];
export const isOpen = (s: VerifikStatus): boolean => OPEN_STATUSES.includes(s);

/** Statuses whose change sends `biometric_validation_{status}` (`expired` is an assumption). */
export const WEBHOOK_STATUSES: readonly VerifikStatus[] = ['validated', 'failed', 'expired'];

/** Verifik's recommended liveness floor (project flow `livenessMinScore`, docs: above 0.6–0.7). */
export const LIVENESS_MIN_SCORE = 0.6;

/** A biometric validation as stored: the object Verifik's API returns, plus fields only the emulator uses. */
export interface StoredValidation {
  _id: string;
  client: string;
  project: string;
  projectFlow: string;
  livenessSession: string;
  status: VerifikStatus;
  type: string;
  identifier: string;
  livenessScore: number;
  assignedCollection: string;
  collectionCode: string;
  requires2FA: boolean;
  language: string;
  expiresAt: string;
  redirectUrl?: string;
  webhookUrl?: string;
  /** The person the 1:N search matched (assumption: see src/vendors/verifik/index.ts). */
  person?: { _id: string; identifier: string };
  verificationResults?: { livenessDetection: 'passed' | 'failed'; identityMatch: 'passed' | 'failed'; antiSpoofing: 'passed' | 'failed' };
  completedAt?: string;
  createdAt: string;
  updatedAt: string;
  // Emulator-only: never part of an API answer.
  /** When the liveness session (4 minutes, DOC) ends; the capture cannot happen after it. */
  livenessSessionExpiresAt: string;
  /** Set by the `error` outcome: the API then answers this validation with a 500. */
  fault?: boolean;
}

/** What a person (hosted page) or a script (control endpoint) decides a validation's result is. */
export const outcomeSchema = z
  .object({
    outcome: controlOutcome,
    liveness: controlScore().default(0.93),
    /** Accepted so every emulator takes the same control body; Verifik reports no match score. */
    match: controlScore().optional(),
    /** The identifier of the person the 1:N search matches (default: the one asked for), for subject binding tests. */
    person: z.string().min(1).max(256).optional(),
  })
  .strict();
export type Outcome = z.infer<typeof outcomeSchema>;

/** What a create request asks for, with the account it is made under. */
export interface ValidationInput {
  client: string;
  project: string;
  projectFlow: string;
  identifier: string;
  type: string;
  language: string;
  expiresAt?: string;
  redirectUrl?: string;
  webhookUrl?: string;
}

/** A Mongo-style ObjectId: 24 hex digits, time-ordered like Verifik's. */
export function objectId(now = new Date()): string {
  return (
    Math.floor(now.getTime() / 1000)
      .toString(16)
      .padStart(8, '0') + randomBytes(8).toString('hex')
  );
}

/** The same person always gets the same id. */
function personId(identifier: string): string {
  return createHash('sha256').update(`person:${identifier}`).digest('hex').slice(0, 24);
}

/**
 * A fresh `new` validation; its liveness session ends `livenessSeconds` from `now`, or at the requested
 * `expiresAt` when that is sooner (the emulator's reading of "can be overridden": never beyond the session).
 */
export function newValidation(input: ValidationInput, now: Date, livenessSeconds: number): StoredValidation {
  const at = now.toISOString();
  const longest = now.getTime() + livenessSeconds * 1000;
  const sessionEnd = new Date(input.expiresAt ? Math.min(Date.parse(input.expiresAt), longest) : longest).toISOString();
  return {
    _id: objectId(now),
    client: input.client,
    project: input.project,
    projectFlow: input.projectFlow,
    livenessSession: objectId(now),
    status: 'new',
    type: input.type,
    identifier: input.identifier,
    livenessScore: 0,
    assignedCollection: createHash('sha256').update(`collection:${input.project}`).digest('hex').slice(0, 24),
    collectionCode: randomUUID(),
    requires2FA: false,
    language: input.language,
    expiresAt: input.expiresAt ?? sessionEnd,
    ...(input.redirectUrl ? { redirectUrl: input.redirectUrl } : {}),
    ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
    createdAt: at,
    updatedAt: at,
    livenessSessionExpiresAt: sessionEnd,
  };
}

/** The validation after `outcome`; the caller has checked that it is still open. */
export function applyOutcome(validation: StoredValidation, outcome: Outcome, now: Date): StoredValidation {
  const at = now.toISOString();
  const { fault: _cleared, ...rest } = validation;
  const next: StoredValidation = { ...rest, updatedAt: at };
  const livenessPassed = outcome.liveness >= LIVENESS_MIN_SCORE;
  switch (outcome.outcome) {
    case 'approve': {
      const identifier = outcome.person ?? validation.identifier;
      return {
        ...next,
        status: 'validated',
        livenessScore: outcome.liveness,
        person: { _id: personId(identifier), identifier },
        verificationResults: { livenessDetection: 'passed', identityMatch: 'passed', antiSpoofing: 'passed' },
        completedAt: at,
      };
    }
    case 'reject':
      // A liveness failure, or a live face the 1:N search matched to nobody.
      return {
        ...next,
        status: 'failed',
        livenessScore: outcome.liveness,
        verificationResults: livenessPassed
          ? { livenessDetection: 'passed', identityMatch: 'failed', antiSpoofing: 'passed' }
          : { livenessDetection: 'failed', identityMatch: 'failed', antiSpoofing: 'failed' },
      };
    // Verifik has no "abandoned": a person who leaves is only ever reported as expired.
    case 'abandon':
    case 'expire':
      return { ...next, status: 'expired' };
    case 'processing':
      return { ...next, status: 'pending' };
    case 'error':
      return { ...next, fault: true };
  }
}

/** When an open validation stops being usable: its `expiresAt` or the end of its liveness session. */
export function deadline(validation: StoredValidation): number {
  return Math.min(Date.parse(validation.expiresAt), Date.parse(validation.livenessSessionExpiresAt));
}

/** An open validation past its deadline reads as expired, as Verifik would report it (no timer runs). */
export function expireIfDue(validation: StoredValidation, now: Date): StoredValidation {
  if (!isOpen(validation.status) || now.getTime() < deadline(validation)) return validation;
  return { ...validation, status: 'expired', updatedAt: now.toISOString() };
}

/** The hosted liveness page (`url`): the project's sign-in URL exactly as the seed shows it, naming no validation. */
export function hostedUrl(project: string, publicUrl: string): string {
  return `${publicUrl}/sign-in/${project}?type=liveness`;
}

/**
 * The validation as Verifik's REST API (and webhook `object`) shows it: the seed's documented fields, the
 * documented `redirectUrl`, `webhook`, `verificationResults` and `completedAt`, the adapter's assumed
 * `person`, and under `sandbox` what only the emulator states (Verifik documents none of it there).
 */
export function present(validation: StoredValidation, publicUrl: string): Record<string, unknown> {
  const v = validation;
  return {
    client: v.client,
    project: v.project,
    projectFlow: v.projectFlow,
    livenessSession: v.livenessSession,
    status: v.status,
    type: v.type,
    url: hostedUrl(v.project, publicUrl),
    livenessScore: v.livenessScore,
    assignedCollection: v.assignedCollection,
    collectionCode: v.collectionCode,
    requires2FA: v.requires2FA,
    ...(v.redirectUrl ? { redirectUrl: v.redirectUrl } : {}),
    ...(v.webhookUrl ? { webhook: v.webhookUrl } : {}),
    ...(v.person ? { person: v.person } : {}),
    ...(v.verificationResults ? { verificationResults: v.verificationResults } : {}),
    ...(v.completedAt ? { completedAt: v.completedAt } : {}),
    _id: v._id,
    updatedAt: v.updatedAt,
    createdAt: v.createdAt,
    __v: 0,
    sandbox: { identifier: v.identifier, language: v.language, expiresAt: v.expiresAt },
  };
}

/** The `livenessSession` part of a create answer (seed 001). */
export function presentLivenessSession(validation: StoredValidation): Record<string, unknown> {
  return {
    client: validation.client,
    project: validation.project,
    projectFlow: validation.projectFlow,
    identifier: validation.identifier,
    status: 'active',
    livenessResult: [],
    comparisonResult: [],
    generalInformation: [],
    documentTypeFields: [],
    location: [],
    proFields: [],
    studioFields: [],
    promptFields: [],
    expiresAt: validation.livenessSessionExpiresAt,
    _id: validation.livenessSession,
    activatedAt: validation.createdAt,
    updatedAt: validation.createdAt,
    createdAt: validation.createdAt,
    __v: 0,
  };
}
