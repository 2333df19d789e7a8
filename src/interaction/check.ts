import { errors, interactionPolicy } from 'oidc-provider';
import { grant, UNMET_DESCRIPTION } from '../policy/grant.ts';
import type { Policy } from '../policy/policy.ts';
import { grantRequestOf, sessionAuthentication } from './grant-request.ts';
import type { Clock } from '../util/clock.ts';
import type { SessionLevels } from './session-levels.ts';

const { base, Check } = interactionPolicy;

/** What the step-up check reads: the policy in force, where session levels are kept, and the clock. */
interface CheckDeps {
  policy: () => Policy;
  sessionLevels: SessionLevels;
  now: Clock;
}

/** The reason the step-up check gives in `prompt.reasons`. */
export const STEPUP_REASON = 'stepup_acr';

/**
 * The login prompt with the step-up check placed right after `no_session`, so `prompt=none` without a
 * session still reports the standard `login_required`. The built-in essential-acr checks are removed:
 * they compare acr strings exactly (no level ordering) and, lacking a resume guard, can loop forever.
 */
export function stepUpInteractionPolicy(deps: CheckDeps): interactionPolicy.DefaultPolicy {
  const policy = base();
  const login = policy.get('login')!;
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  const noSession = login.checks.findIndex((c) => c.reason === 'no_session');
  login.checks.add(stepUpCheck(deps), noSession + 1);
  return policy;
}

/**
 * Runs the decision on every authorization request. When the session's authentication satisfies it,
 * the request's tokens carry the acr the decision returns (one of the values asked for, spelled as
 * asked); otherwise an interaction is requested, or, right after one, the request fails rather than loop.
 */
function stepUpCheck(deps: CheckDeps): interactionPolicy.Check {
  return new Check(
    STEPUP_REASON,
    'the requested authentication context class is not satisfied by the session',
    'login_required', // checks added later do not inherit the prompt's error code
    async (ctx) => {
      const policy = deps.policy();
      const session = ctx.oidc.session!; // always loaded on the authorization endpoint
      const login = ctx.oidc.result?.login as { acr?: string } | undefined;
      if (login && session.accountId && session.acr && session.loginTs) {
        const stepup = ctx.oidc.result?.stepup as { verificationId?: string } | undefined;
        await deps.sessionLevels.record({
          sessionUid: session.uid,
          accountId: session.accountId,
          acr: session.acr,
          authTime: session.loginTs,
          verificationId: stepup?.verificationId,
        });
      }
      const request = grantRequestOf(ctx.oidc.params as Record<string, unknown>, ctx.oidc.promptPending('login'));
      // The authentication just performed is the re-authentication max_age asked for, however long it took.
      if (login) request.maxAge = undefined;
      const decision = grant({
        policy,
        request,
        session: sessionAuthentication(policy, session),
        now: Math.floor(deps.now().getTime() / 1000),
      });
      if (decision.kind === 'grant') {
        // oidc-provider copies `ctx.oidc.acr` (the session's) into the code and tokens of this request.
        Object.defineProperty(ctx.oidc, 'acr', { value: decision.acr, configurable: true });
        return Check.NO_NEED_TO_PROMPT;
      }
      if (decision.kind === 'denial') throw new errors.UnmetAuthenticationRequirements(decision.description);
      // After an interaction the requirement must be met: asking again would loop.
      if (login) throw new errors.UnmetAuthenticationRequirements(UNMET_DESCRIPTION);
      return Check.REQUEST_PROMPT;
    },
  );
}
