import type { default as Provider } from 'oidc-provider';
import type { GrantInput, VerificationFacts } from '../policy/grant.ts';
import type { Policy } from '../policy/policy.ts';
import type { Orchestrator } from '../verification/orchestrator.ts';
import type { Verification } from '../verification/row.ts';
import { grantRequestOf, sessionAuthentication } from './grant-request.ts';
import type { Clock } from '../util/clock.ts';
import type { PinnedPolicies } from './pinned-policies.ts';
import type { InteractionSteps } from './steps.ts';

/** An interaction as oidc-provider describes it. */
export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Where the facts of an interaction are read from. */
export interface FactsSources {
  provider: Provider;
  /** The policy in force, or (given a hash) the one a verification started under while known. */
  policy: (policyHash?: string) => Policy;
  orchestrator: Orchestrator;
  steps: InteractionSteps;
  pins: PinnedPolicies;
  now: Clock;
}

/** The decision's input for an interaction, and the newest verification it was read from. */
export interface InteractionFacts {
  input: GrantInput;
  verification?: Verification;
}

/**
 * Gathers everything the decision needs about an interaction: the request, the session's
 * authentication, a password given here, the newest verification, enrolment and attempts left.
 * `latest` is the newest verification when the caller has just read (and confirmed) it.
 */
export async function gatherFacts(
  sources: FactsSources,
  d: Details,
  intent: { retrying?: boolean; gaveUp?: boolean } = {},
  latest?: Verification,
): Promise<InteractionFacts> {
  const verification = latest ?? (await sources.orchestrator.latestFor(d.uid));
  // The requirement is decided once per interaction, under the policy in force when it began; once a
  // verification started, the interaction finishes under the policy that planned it.
  const pinned = await sources.pins.pin(d.uid, sources.policy().hash);
  const policy = sources.policy(verification?.policyHash ?? pinned);
  const now = sources.now();
  const stored = d.session?.cookie ? await sources.provider.Session.find(d.session.cookie) : undefined;
  const session = sessionAuthentication(policy, stored && stored.accountId === d.session?.accountId ? stored : undefined);
  const password = await sources.steps.get(d.uid);
  const accountId = password?.accountId ?? session?.accountId;
  const biometric = policy.levels.filter((l) => l.factor === 'biometric');
  const enrolled = new Set<string>();
  const attemptsLeft = new Map<string, number>();
  if (accountId) {
    for (const level of await sources.orchestrator.reachable(accountId, biometric, policy.hash)) {
      enrolled.add(level.acr);
      const attempts = await sources.orchestrator.attempts(accountId, level);
      if (attempts) attemptsLeft.set(level.acr, attempts.remaining);
    }
  }
  return {
    verification,
    input: {
      policy,
      request: grantRequestOf(d.params, d.prompt.reasons.includes('login_prompt')),
      session,
      enrolled,
      attemptsLeft,
      progress: {
        uid: d.uid,
        password: password && { accountId: password.accountId, at: password.authenticatedAt },
        verification: verification && factsOf(verification),
        ...intent,
      },
      now: Math.floor(now.getTime() / 1000),
    },
  };
}

function factsOf(v: Verification): VerificationFacts {
  return {
    id: v.id,
    interactionUid: v.interactionUid,
    accountId: v.accountId,
    acr: v.acr,
    state: v.state,
    liveness: v.liveness,
    match: v.match,
    thresholds: v.thresholds,
    expectedSubject: v.expectedSubject,
    reportedSubject: v.reportedSubject,
    decidedAt: v.decidedAt ? Math.floor(v.decidedAt.getTime() / 1000) : undefined,
    expiresAt: Math.floor(v.expiresAt.getTime() / 1000),
  };
}
