import type { Context, Middleware, Next } from 'koa';
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BEARER, bearerChallenge, bearerRequired } from './bearer.ts';

/** How a resource server decides whether an access token's authentication is strong and fresh enough. */
export interface RequireAcrOptions {
  issuer: string;
  audience: string;
  /** The issuer's keys, e.g. `createRemoteJWKSet(new URL(jwks_uri))`. */
  keys: JWTVerifyGetKey;
  /** Every acr accepted here: the required level, the levels above it and their aliases. */
  acceptableAcrs: readonly string[];
  /** The acr to ask for in the challenge (RFC 9470 `acr_values`). */
  challengeAcr: string;
  /** Maximum seconds since `auth_time`; older authentications get a `max_age` challenge. */
  maxAge?: number;
  /** A scope the token must carry. */
  scope?: string;
  realm?: string;
}

/** The verified access token, left on `ctx.state.accessToken` for the route. */
export type AccessTokenClaims = JWTPayload & { acr?: string; amr?: string[]; auth_time?: number; scope?: string; txn?: string };

/**
 * Koa middleware for an RFC 9068 JWT access token whose `acr` must be acceptable, answering RFC 9470
 * `401 insufficient_user_authentication` challenges (with `acr_values` and `max_age`) so the client can
 * send the person back to the authorization server for a step-up.
 */
export function requireAcr(options: RequireAcrOptions): Middleware {
  const acceptable = new Set(options.acceptableAcrs);
  const challenge = (ctx: Context, status: number, params: { error: string } & Record<string, string | number>) =>
    bearerChallenge(ctx, status, params, options.realm);

  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    const match = BEARER.exec(header);
    if (!match) {
      if (header) return challenge(ctx, 400, { error: 'invalid_request', error_description: 'malformed Authorization header' });
      return bearerRequired(ctx, options.realm);
    }
    let claims: AccessTokenClaims;
    try {
      ({ payload: claims } = await jwtVerify<AccessTokenClaims>(match[1]!, options.keys, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JWTExpired ? 'the access token expired' : 'the access token is not valid';
      return challenge(ctx, 401, { error: 'invalid_token', error_description: reason });
    }
    if (options.scope && !String(claims.scope ?? '').split(' ').includes(options.scope)) {
      return challenge(ctx, 403, { error: 'insufficient_scope', error_description: `the scope ${options.scope} is required`, scope: options.scope });
    }
    if (!claims.acr || !acceptable.has(claims.acr)) {
      return challenge(ctx, 401, {
        error: 'insufficient_user_authentication',
        error_description: 'a stronger authentication is required',
        acr_values: options.challengeAcr,
        ...(options.maxAge !== undefined ? { max_age: options.maxAge } : {}),
      });
    }
    if (options.maxAge !== undefined && (claims.auth_time === undefined || Date.now() / 1000 - claims.auth_time > options.maxAge)) {
      return challenge(ctx, 401, {
        error: 'insufficient_user_authentication',
        error_description: 'a more recent authentication is required',
        acr_values: options.challengeAcr,
        max_age: options.maxAge,
      });
    }
    ctx.state.accessToken = claims;
    await next();
  };
}

/** Parses a `WWW-Authenticate: Bearer …` challenge into its parameters (for clients). */
export function parseBearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^Bearer\b/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(6).matchAll(/([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[m[1]!] = m[2] ?? m[3]!;
  return params;
}
