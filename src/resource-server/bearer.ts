import type { Context } from 'koa';

/** An RFC 6750 `Authorization: Bearer` credential (b64token syntax). */
export const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/** Answers 401 to a request without credentials: the challenge names the realm only (RFC 6750 §3.1). */
export function bearerRequired(ctx: Context, realm?: string): void {
  ctx.status = 401;
  ctx.set('WWW-Authenticate', realm ? `Bearer realm=${quote(realm)}` : 'Bearer');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'invalid_token', error_description: 'an access token is required' };
}

/** Answers with an RFC 6750 challenge (`WWW-Authenticate: Bearer realm=…, error=…, …`) and the same error as JSON. */
export function bearerChallenge(ctx: Context, status: number, params: { error: string } & Record<string, string | number>, realm?: string): void {
  const all: Record<string, string | number> = { ...(realm ? { realm } : {}), ...params };
  ctx.status = status;
  ctx.set('WWW-Authenticate', `Bearer ${Object.entries(all).map(([k, v]) => `${k}=${typeof v === 'number' ? v : quote(v)}`).join(', ')}`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: params.error, error_description: params.error_description };
}
