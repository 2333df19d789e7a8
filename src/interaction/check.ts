import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { requirementMet, requirementOfParams, type Requirement } from '../policy/decide.ts';
import type { Policy } from '../policy/policy.ts';
import type { SessionLevels } from './session-levels.ts';

const { base, Check } = interactionPolicy;

/** The reason the step-up check gives in `prompt.reasons`. */
export const STEPUP_REASON = 'stepup_acr';

/** The level requirement of the authorization request being processed. */
export function requirementOf(ctx: KoaContextWithOIDC, policy: Policy): Requirement {
  return requirementOfParams(policy, (ctx.oidc.params ?? {}) as Record<string, unknown>);
}

/**
 * The login prompt with the step-up check placed right after `no_session`, so `prompt=none` without a
 * session still reports the standard `login_required`. The built-in essential-acr checks are removed:
 * they compare acr strings exactly (no level ordering) and, lacking a resume guard, can loop forever.
 */
export function stepUpInteractionPolicy(deps: { policy: () => Policy; sessionLevels: SessionLevels }): interactionPolicy.DefaultPolicy {
  const policy = base();
  const login = policy.get('login')!;
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  const noSession = login.checks.findIndex((c) => c.reason === 'no_session');
  login.checks.add(stepUpCheck(deps), noSession + 1);
  return policy;
}

function stepUpCheck(deps: { policy: () => Policy; sessionLevels: SessionLevels }): interactionPolicy.Check {
  return new Check(
    STEPUP_REASON,
    'the requested authentication context class is not satisfied by the session',
    'login_required', // checks added later do not inherit the prompt's error code
    async (ctx) => {
      const policy = deps.policy();
      const requirement = requirementOf(ctx, policy);
      if (requirement.kind === 'unmet') throw new errors.UnmetAuthenticationRequirements(requirement.reason);
      const { result } = ctx.oidc;
      const session = ctx.oidc.session!; // always loaded on the authorization endpoint
      const login = result?.login as { acr?: string } | undefined;
      if (login && session.accountId && session.acr && session.loginTs) {
        const stepup = result?.stepup as { verificationId?: string } | undefined;
        await deps.sessionLevels.record({
          sessionUid: session.uid,
          accountId: session.accountId,
          acr: session.acr,
          authTime: session.loginTs,
          verificationId: stepup?.verificationId,
        });
      }
      if (!session.accountId) return requirement.kind === 'levels';
      const held = { acr: session.acr, authTime: session.loginTs };
      if (requirementMet(policy, requirement, held, Math.floor(Date.now() / 1000))) return Check.NO_NEED_TO_PROMPT;
      // After an interaction the requirement must be met: asking again would loop.
      if (login) throw new errors.UnmetAuthenticationRequirements('the authentication performed does not satisfy the requested acr');
      return Check.REQUEST_PROMPT;
    },
  );
}
