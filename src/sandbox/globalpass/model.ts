import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { controlOutcome, ignoredScores } from '../types.ts';

/** GlobalPass's documented instant biometrics statuses (vendors.md §1.4). */
export const INSTANT_STATUSES = ['Initiated', 'Processing', 'Accepted', 'Rejected', 'Expired', 'Cancelled'] as const;
export type InstantStatus = (typeof INSTANT_STATUSES)[number];

export const isOpen = (s: InstantStatus): boolean => s === 'Initiated' || s === 'Processing';

/** GlobalPass's documented KYC screening statuses and reject reasons (vendors.md §1.3). */
export const SCREENING_STATUSES = ['Initiated', 'Processing', 'Accepted', 'Rejected'] as const;
export const REJECT_REASONS = ['BadData', 'ConditionsNotMet', 'DocumentExpired'] as const;
export const RISK_LEVELS = ['Low', 'Medium', 'High'] as const;

/** One KYC screening as the sandbox knows it; screeningTokens it has never seen read as Accepted. */
export interface StoredScreening {
  token: string;
  status: (typeof SCREENING_STATUSES)[number];
  rejectReason?: (typeof REJECT_REASONS)[number];
  riskLevel?: (typeof RISK_LEVELS)[number];
  createdAt: string;
}

/** An instant biometrics check as stored: the record the API returns, plus emulator-only fields. */
export interface StoredCheck {
  id: string;
  screeningToken: string;
  status: InstantStatus;
  timeoutInMinutes: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  completedAt?: string;
  /** Set by the `error` outcome: the API then answers this check with a 500. */
  fault?: boolean;
}

/** Default check timeout when the request gives none (GlobalPass states none; vendors.md §1.7 ASM). */
export const DEFAULT_TIMEOUT_MINUTES = 15;

/** What a script decides a check's result is (control endpoint). */
export const outcomeSchema = z
  .object({
    outcome: controlOutcome,
    /** Makes GlobalPass report another screening (person), to exercise subject binding. */
    screeningToken: z.guid().optional(),
    // GlobalPass reports no scores.
    ...ignoredScores,
  })
  .strict();
export type Outcome = z.infer<typeof outcomeSchema>;

/** What the sandbox widget posts when the person presses a button. */
export const widgetResultSchema = z.object({ outcome: z.enum(['approve', 'reject']) }).strict();

/** Sets a screening's KYC state (sandbox control of the prerequisite). */
export const screeningControlSchema = z
  .object({
    status: z.enum(SCREENING_STATUSES),
    rejectReason: z.enum(REJECT_REASONS).optional(),
    riskLevel: z.enum(RISK_LEVELS).optional(),
  })
  .strict();

/** GlobalPass's rule: instant biometrics only for Accepted, or Rejected with ConditionsNotMet, screenings. */
export function isEligible(screening: Pick<StoredScreening, 'status' | 'rejectReason'>): boolean {
  return screening.status === 'Accepted' || (screening.status === 'Rejected' && screening.rejectReason === 'ConditionsNotMet');
}

/** A fresh `Initiated` check expiring after `timeoutInMinutes`. */
export function newCheck(screeningToken: string, timeoutInMinutes: number, now: Date): StoredCheck {
  const at = now.toISOString();
  return {
    id: randomUUID(),
    screeningToken,
    status: 'Initiated',
    timeoutInMinutes,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now.getTime() + timeoutInMinutes * 60_000).toISOString(),
  };
}

/**
 * The check after `outcome`; the caller has checked that it is still open. GlobalPass never reports
 * that a person closed the widget: an abandoned check ends as it would there, Expired.
 */
export function applyOutcome(check: StoredCheck, outcome: Outcome, now: Date): StoredCheck {
  const at = now.toISOString();
  const { fault: _cleared, ...rest } = check;
  const next: StoredCheck = { ...rest, updatedAt: at, ...(outcome.screeningToken ? { screeningToken: outcome.screeningToken } : {}) };
  switch (outcome.outcome) {
    case 'approve':
      return { ...next, status: 'Accepted', completedAt: at };
    case 'reject':
      return { ...next, status: 'Rejected', completedAt: at };
    case 'abandon':
    case 'expire':
      return { ...next, status: 'Expired', completedAt: at };
    case 'processing':
      return { ...next, status: 'Processing' };
    case 'error':
      return { ...next, fault: true };
  }
}

/** An open check past its timeout reads as Expired, as GlobalPass would report it (the sandbox has no timer). */
export function expireIfDue(check: StoredCheck, now: Date): StoredCheck {
  if (!isOpen(check.status) || now.getTime() < Date.parse(check.expiresAt)) return check;
  return { ...check, status: 'Expired', updatedAt: now.toISOString(), completedAt: check.expiresAt };
}

/** The check as the API shows it (an assumption; see the header of src/vendors/globalpass/index.ts). */
export function presentCheck(check: StoredCheck): Record<string, unknown> {
  return {
    id: check.id,
    screeningToken: check.screeningToken,
    status: check.status,
    timeoutInMinutes: check.timeoutInMinutes,
    createdAt: check.createdAt,
    updatedAt: check.updatedAt,
    expiresAt: check.expiresAt,
    ...(check.completedAt ? { completedAt: check.completedAt } : {}),
  };
}

/** `GET /api/v2/screenings/{token}/status` as documented. */
export function presentScreeningStatus(screening: StoredScreening): Record<string, unknown> {
  return {
    status: screening.status,
    ...(screening.rejectReason ? { rejectReason: screening.rejectReason } : {}),
    ...(screening.riskLevel ? { riskLevel: screening.riskLevel } : {}),
    comments: [],
    tags: [],
    isActive: true,
  };
}
