import type { Context } from 'koa';
import { formatChallenges } from './www-authenticate.ts';

/** An RFC 6750 `Authorization: Bearer` credential (b64token syntax). */
export const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** An error a resource server answers with: RFC 6750 `error` and `error_description`, plus RFC 9470 / 6750 extras. */
export type ChallengeParams = { error: string; error_description?: string } & Record<string, string | number>;

/**
 * Answers `status` with the given challenges in `WWW-Authenticate` and the error (if any) as JSON.
 * Responses carrying credentials errors are never cached.
 */
export function challengeResponse(
  ctx: Context,
  status: number,
  challenges: readonly { scheme: string; parameters: Record<string, string | number | undefined> }[],
  error: { error: string; error_description?: string },
): void {
  ctx.status = status;
  ctx.set('WWW-Authenticate', formatChallenges(challenges));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: error.error, error_description: error.error_description };
}

/** Answers 401 to a request without credentials: the challenge names the realm only (RFC 6750 §3.1). */
export function bearerRequired(ctx: Context, realm?: string): void {
  challengeResponse(ctx, 401, [{ scheme: 'Bearer', parameters: { realm } }], {
    error: 'invalid_token',
    error_description: 'an access token is required',
  });
}

/** Answers with an RFC 6750 challenge (`WWW-Authenticate: Bearer realm=…, error=…, …`) and the same error as JSON. */
export function bearerChallenge(ctx: Context, status: number, params: ChallengeParams, realm?: string): void {
  challengeResponse(ctx, status, [{ scheme: 'Bearer', parameters: { realm, ...params } }], params);
}
