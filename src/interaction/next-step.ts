import type { Level, Policy } from '../policy/policy.ts';
import { requirementOfParams } from '../policy/decide.ts';
import type { Orchestrator, StepUpPlan } from '../verification/orchestrator.ts';
import type { CompletedStep } from './steps.ts';

/** What the interaction shows or does next. */
export type NextStep =
  | { kind: 'password'; lockedAccountId?: string; purpose?: string }
  | { kind: 'finish_password'; step: CompletedStep; level: Level }
  | { kind: 'biometric'; accountId: string; plan: Extract<StepUpPlan, { kind: 'biometric' }> }
  | { kind: 'unmet'; reason: string };

/** The facts about one interaction that decide its next step. */
export interface InteractionFacts {
  params: Record<string, unknown>;
  reasons: string[];
  /** The SSO session's account and what it holds, when there is one. */
  session?: { accountId: string; acr?: string };
  /** A factor already completed in this interaction. */
  step?: CompletedStep;
}

/**
 * Decides the next step of a login interaction: the password first when nobody is signed in, then the
 * biometric level the request prefers among those the account is enrolled for. A forced
 * re-authentication (`prompt=login`, `max_age`) repeats the level the session holds rather than
 * downgrading it to a password.
 */
export async function nextStep(policy: Policy, orchestrator: Orchestrator, facts: InteractionFacts): Promise<NextStep> {
  const requirement = requirementOfParams(policy, facts.params);
  if (requirement.kind === 'unmet') return { kind: 'unmet', reason: requirement.reason };
  const accountId = facts.session?.accountId ?? facts.step?.accountId;
  if (!accountId) return { kind: 'password' };

  const held = facts.session?.acr ? policy.byAcr.get(facts.session.acr) : undefined;
  let targets = requirement.kind === 'levels' ? [...requirement.candidates] : [held ?? policy.passwordLevel];
  const forced = facts.reasons.some((r) => r === 'login_prompt' || r === 'max_age');
  if (forced && held && held.rank > targets[0]!.rank) targets = [held, ...targets];

  const passwordStep = (): NextStep =>
    facts.step
      ? { kind: 'finish_password', step: facts.step, level: policy.passwordLevel }
      : { kind: 'password', lockedAccountId: facts.session?.accountId };

  if (targets[0]!.factor === 'password') return passwordStep();
  const plan = await orchestrator.plan(accountId, targets);
  if (plan.kind === 'biometric') return { kind: 'biometric', accountId, plan };
  if (targets.some((l) => l.factor === 'password')) return passwordStep();
  return { kind: 'unmet', reason: plan.reason };
}
