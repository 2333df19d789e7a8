import { decodeJwt } from 'jose';
import { readAcrRequest } from '../policy/decide.ts';
import type { Authentication, GrantRequest } from '../policy/grant.ts';
import type { Policy } from '../policy/policy.ts';

/**
 * The decision's view of an authorization request, from its raw parameters. `loginPrompt` says whether
 * `prompt=login` is still pending (oidc-provider stops counting it once a login result came back).
 */
export function grantRequestOf(params: Record<string, unknown>, loginPrompt: boolean): GrantRequest {
  const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
  return {
    acr: readAcrRequest(params),
    clientId: typeof params.client_id === 'string' ? params.client_id : '',
    maxAge: Number.isSafeInteger(maxAge) ? maxAge : undefined,
    loginPrompt,
    subjectHint: hintedSubject(params.id_token_hint),
  };
}

// oidc-provider has already verified the hint's signature on the authorization endpoint; only its
// subject matters here.
function hintedSubject(hint: unknown): string | undefined {
  if (typeof hint !== 'string') return undefined;
  try {
    const { sub } = decodeJwt(hint);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A session's authentication as the decision sees it; an acr the policy does not know (a host's own
 * login) counts as the password level.
 */
export function sessionAuthentication(
  policy: Policy,
  session: { accountId?: string; acr?: string; amr?: string[]; loginTs?: number } | undefined,
): Authentication | undefined {
  if (!session?.accountId || session.loginTs === undefined) return undefined;
  const level = (session.acr && policy.byAcr.get(session.acr)) || policy.passwordLevel;
  return { accountId: session.accountId, acr: level.acr, amr: session.amr ?? [], authTime: session.loginTs };
}
