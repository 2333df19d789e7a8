import { composeAmr, decideRequirement, levelFor, satisfies, type AcrRequest } from './decide.ts';
import type { Level, Policy } from './policy.ts';
import type { Thresholds } from './schema.ts';

/** The parts of an authorization request that decide what authentication it needs. */
export interface GrantRequest {
  acr: AcrRequest;
  clientId: string;
  /** `max_age` in seconds, when given. */
  maxAge?: number;
  /** `prompt=login` still pending: the person must authenticate again, whatever the session holds. */
  loginPrompt: boolean;
  /** The account an `id_token_hint` names: nobody else may be signed in for this request. */
  subjectHint?: string;
}

/** One authentication the person performed: the session's, or one completed in this interaction. */
export interface Authentication {
  accountId: string;
  /** The level reached, by its canonical acr. */
  acr: string;
  /** Exactly the methods performed for this authentication (RFC 8176). */
  amr: readonly string[];
  /** Epoch seconds. */
  authTime: number;
}

/** What the newest verification of this interaction recorded, as read from storage. */
export interface VerificationFacts {
  id: string;
  interactionUid: string;
  accountId: string;
  /** The level it was started for (canonical acr). */
  acr: string;
  state: 'pending' | 'in_progress' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'abandoned' | 'failed';
  liveness: number | null;
  match: number | null;
  thresholds: Thresholds;
  expectedSubject: string;
  reportedSubject: string | null;
  /** Epoch seconds of the vendor outcome's confirmation (becomes `auth_time`). */
  decidedAt?: number;
  /** Epoch seconds. */
  expiresAt: number;
}

/** What the interaction has gathered so far; absent for a plain authorization request (the Check). */
export interface InteractionProgress {
  uid: string;
  /** A password accepted in this interaction. */
  password?: { accountId: string; at: number };
  verification?: VerificationFacts;
  /** The person asked to try the capture again (or another vendor) after a failed one. */
  retrying?: boolean;
  /** The person pressed cancel. */
  gaveUp?: boolean;
}

/** Everything the decision depends on. */
export interface GrantInput {
  policy: Policy;
  request: GrantRequest;
  /** The SSO session's authentication, when someone is signed in. */
  session?: Authentication;
  progress?: InteractionProgress;
  /** Canonical acrs of the biometric levels the account is enrolled for; undefined when not looked up yet. */
  enrolled?: ReadonlySet<string>;
  /** Unsuccessful verifications the account may still make, per level with limits (canonical acr). */
  attemptsLeft?: ReadonlyMap<string, number>;
  /** Epoch seconds. */
  now: number;
}

/** An OAuth error an RP may receive from this decision. */
export type GrantError = 'unmet_authentication_requirements' | 'access_denied';

/** The outcome of the decision. */
export type Grant =
  | {
      kind: 'grant';
      accountId: string;
      /** The acr for the tokens: one of the values the RP asked for, spelled as asked; else the level held. */
      acr: string;
      /** The level the authentication reached (what the session keeps). */
      level: Level;
      amr: string[];
      authTime: number;
      /** The verification behind it, when this interaction performed one. */
      txn?: string;
    }
  | { kind: 'password'; /** The signed-in person, who must stay the same (step-up keeps the subject). */ pinnedAccountId?: string }
  | { kind: 'biometric'; accountId: string; /** Reachable levels, most preferred first. */ levels: Level[] }
  | { kind: 'retry'; accountId: string; levels: Level[]; failed: VerificationFacts['state']; attemptsLeft?: number }
  | {
      kind: 'denial';
      error: GrantError;
      /** Safe to show the RP. */ description: string;
      /** For the ledger and logs only. */ reason: string;
    };

/** The description every RP gets for a refused step-up: which check failed stays in the ledger. */
export const UNMET_DESCRIPTION = 'the requested authentication could not be performed';

const RETRYABLE = new Set<VerificationFacts['state']>(['rejected', 'expired', 'abandoned', 'failed', 'cancelled']);

/**
 * The step-up decision (DESIGN §4), pure: the same facts always give the same answer. It says whether
 * the authentication at hand satisfies the request (and with which `acr`, `amr`, `auth_time`), or what
 * the interaction must do next, or why the request is refused.
 */
export function grant(input: GrantInput): Grant {
  const { policy, request, progress, now } = input;
  const requirement = decideRequirement(policy, request.acr, request.clientId);
  if (requirement.kind === 'unmet') return deny('unmet_authentication_requirements', requirement.reason);
  const candidates = requirement.kind === 'levels' ? requirement.candidates : [];

  const forced = request.loginPrompt || (request.maxAge !== undefined && !!input.session && now - input.session.authTime > request.maxAge);
  const base = baseAuthentication(input, forced);
  if (progress?.gaveUp) {
    const failed = progress.verification && RETRYABLE.has(progress.verification.state);
    return failed
      ? deny('unmet_authentication_requirements', `gave up after ${progress.verification!.state}`)
      : deny('access_denied', 'cancelled by the person');
  }
  if (!base) return { kind: 'password', pinnedAccountId: request.subjectHint };

  const verified = verifiedAuthentication(policy, base, progress);
  const current = verified?.authentication ?? base;
  const level = policy.byAcr.get(current.acr);
  const hinted = request.subjectHint === undefined || request.subjectHint === current.accountId;
  if (level && hinted && (candidates.length === 0 || candidates.some((l) => satisfies(policy, l, current, now)))) {
    return {
      kind: 'grant',
      accountId: current.accountId,
      acr: returnedAcr(policy, request, current, now),
      level,
      amr: [...current.amr],
      authTime: current.authTime,
      txn: verified?.txn,
    };
  }

  // Not satisfied: the weakest factor missing comes first. A biometric step builds on a fresh password.
  const pinned = { kind: 'password', pinnedAccountId: request.subjectHint ?? base.accountId } as const;
  if (!hinted || !satisfies(policy, policy.passwordLevel, base, now)) return pinned;
  const biometric = candidates.filter((l) => l.factor === 'biometric' && (!input.enrolled || input.enrolled.has(l.acr)));
  for (const level of candidates) {
    if (level.factor === 'password') return pinned;
    if (!biometric.includes(level)) continue;
    const reachable = biometric.slice(biometric.indexOf(level));
    const last = progress?.verification;
    const attemptsLeft = input.attemptsLeft?.get(level.acr);
    if (last && last.acr === level.acr && RETRYABLE.has(last.state) && !progress.retrying) {
      if (attemptsLeft === 0) return deny('unmet_authentication_requirements', `attempts exhausted after ${last.state}`);
      return { kind: 'retry', accountId: base.accountId, levels: reachable, failed: last.state, attemptsLeft };
    }
    if (attemptsLeft === 0) return deny('unmet_authentication_requirements', 'attempts exhausted');
    return { kind: 'biometric', accountId: base.accountId, levels: reachable };
  }
  return deny('unmet_authentication_requirements', 'the account is not enrolled at any vendor of the requested level');
}

/**
 * The authentication a decision builds on: a password given in this interaction, else the session's
 * unless the request forces a new authentication (`prompt=login`, `max_age` exceeded).
 */
function baseAuthentication(input: GrantInput, forced: boolean): Authentication | undefined {
  const password = input.progress?.password;
  if (password) return { accountId: password.accountId, acr: input.policy.passwordLevel.acr, amr: ['pwd'], authTime: password.at };
  return forced ? undefined : input.session;
}

/**
 * The authentication an approved verification of this interaction adds to `base`: only when it is bound
 * to this interaction and this person, its level is known, it was decided before its deadline, and the
 * recorded scores and subject meet what the level asked of the vendor.
 */
function verifiedAuthentication(
  policy: Policy,
  base: Authentication,
  progress?: InteractionProgress,
): { authentication: Authentication; txn: string } | undefined {
  const v = progress?.verification;
  if (!v || v.state !== 'approved' || v.decidedAt === undefined) return undefined;
  const level = policy.byAcr.get(v.acr);
  if (!level || level.acr !== v.acr || v.interactionUid !== progress!.uid || v.accountId !== base.accountId) return undefined;
  if (v.decidedAt > v.expiresAt || unmetThreshold(v.thresholds, v) || v.reportedSubject !== v.expectedSubject) return undefined;
  return {
    authentication: { accountId: base.accountId, acr: level.acr, amr: composeAmr(base.amr, level.amr), authTime: v.decidedAt },
    txn: v.id,
  };
}

/**
 * The first score floor not met by a reported score, as a reason (`liveness_score_missing`,
 * `match_below_threshold`…), or undefined when all are met. Fails closed: a floor without a score is unmet.
 * The verdict on a vendor's outcome and the decision's re-check of stored scores both use it.
 */
export function unmetThreshold(thresholds: Thresholds, scores: { liveness?: number | null; match?: number | null }): string | undefined {
  for (const name of ['liveness', 'match'] as const) {
    const floor = thresholds[name];
    if (floor === undefined) continue;
    const score = scores[name];
    if (score === undefined || score === null) return `${name}_score_missing`;
    if (!(score >= floor)) return `${name}_below_threshold`;
  }
  return undefined;
}

/**
 * The `acr` to return (OIDC Core 5.5.1): the first requested value — essential values when there are
 * any, else `acr_values` — that this authentication satisfies, spelled as requested (aliases too), and
 * not below a client minimum; with none, the level held.
 */
function returnedAcr(policy: Policy, request: GrantRequest, current: Authentication, now: number): string {
  const minimumAcr = policy.clients[request.clientId]?.minimumAcr;
  const minimumRank = minimumAcr ? (policy.byAcr.get(minimumAcr)?.rank ?? 0) : 0;
  const requested = request.acr.essential.length > 0 ? request.acr.essential : request.acr.voluntary;
  for (const value of requested) {
    const level = levelFor(policy, value, request.clientId);
    if (level && level.rank >= minimumRank && satisfies(policy, level, current, now)) return value;
  }
  return current.acr;
}

function deny(error: GrantError, reason: string): Grant {
  return { kind: 'denial', error, description: error === 'access_denied' ? 'the person cancelled the sign-in' : UNMET_DESCRIPTION, reason };
}
