import type { Context, Middleware, Next } from 'koa';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { challengeResponse, type ChallengeParams } from './bearer.ts';
import { DpopNonces, DpopReplayGuard, type DpopOptions } from './dpop.ts';

/** How a resource server decides whether an access token's authentication is strong and fresh enough. */
export interface RequireAcrOptions {
  /** The authorization server whose tokens are accepted: its `issuer` and `jwks_uri` (its discovery document will do). */
  authorizationServer: oauth.AuthorizationServer;
  /** This resource server's identifier, the tokens' `aud`. */
  audience: string;
  /** Every acr accepted here: the required level, the levels above it and their aliases. */
  acceptableAcrs: readonly string[];
  /** The acr to ask for in the challenge (RFC 9470 `acr_values`). */
  challengeAcr: string;
  /** Maximum seconds since `auth_time`; older authentications get a `max_age` challenge. */
  maxAge?: number;
  /** A scope the token must carry. */
  scope?: string;
  realm?: string;
  /**
   * The public URL the protected paths are relative to (scheme, host and any path prefix a proxy adds);
   * a DPoP proof's `htu` must name it. Default: the request's own origin (`X-Forwarded-*` when `app.proxy`).
   */
  baseUrl?: string;
  /** DPoP beyond the checks every proof gets: required, server nonces, where proof ids are remembered. */
  dpop?: DpopOptions;
  /** Lets the keys be fetched over plain http: for an issuer on localhost only. */
  allowInsecureRequests?: boolean;
}

/** The verified access token, left on `ctx.state.accessToken` for the route. */
export type AccessTokenClaims = oauth.JWTAccessTokenClaims & { acr?: string; amr?: string[]; auth_time?: number; txn?: string };

type Scheme = 'Bearer' | 'DPoP';
const CREDENTIALS = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Koa middleware for RFC 9068 JWT access tokens, verified by oauth4webapi (signature, `typ`, `iss`,
 * `aud`, `exp`, and for DPoP-bound tokens the proof: `cnf.jkt`, `htm`, `htu`, `iat`, `ath`). On top it
 * refuses replayed proofs, asks for server nonces when configured, and answers RFC 9470
 * `401 insufficient_user_authentication` challenges (with `acr_values` and `max_age`) in the scheme the
 * client used, so the client can send the person back to the authorization server for a step-up.
 */
export function requireAcr(options: RequireAcrOptions): Middleware {
  const acceptable = new Set(options.acceptableAcrs);
  const dpop = options.dpop ?? {};
  const nonces = dpop.nonceSecret ? new DpopNonces(dpop.nonceSecret, dpop.noncePeriodSeconds) : undefined;
  const replay = new DpopReplayGuard(dpop.replay);
  // oauth4webapi caches the issuer's keys per metadata object, so the same object is used for every request.
  const as = { ...options.authorizationServer };
  const schemes: Scheme[] = dpop.required ? ['DPoP'] : ['Bearer', 'DPoP'];

  /** Refuses with every scheme this server takes, the error on the one the client used (RFC 9449 §7.1, §7.2). */
  const refuse = (ctx: Context, status: number, used: Scheme | undefined, params: ChallengeParams) => {
    const ordered = used ? [used, ...schemes.filter((s) => s !== used)] : schemes;
    const challenges = ordered.map((scheme) => ({ scheme, parameters: { realm: options.realm, ...(scheme === used ? params : {}) } }));
    if (nonces && used === 'DPoP') ctx.set('DPoP-Nonce', nonces.current());
    challengeResponse(ctx, status, challenges, params);
  };

  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    if (!header) return refuse(ctx, 401, undefined, { error: 'invalid_token', error_description: 'an access token is required' });
    const match = CREDENTIALS.exec(header);
    if (!match)
      return refuse(ctx, 400, /^dpop\b/i.test(header) ? 'DPoP' : 'Bearer', {
        error: 'invalid_request',
        error_description: 'malformed Authorization header',
      });
    const token = match[2]!;
    const sentAs: Scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    // A token bound to a key is refused as Bearer; the challenge then says DPoP, the scheme it needs.
    const needs: Scheme = sentAs === 'DPoP' || dpop.required || boundToKey(token) ? 'DPoP' : 'Bearer';
    const invalid = () => refuse(ctx, 401, needs, { error: 'invalid_token', error_description: 'the access token is not valid' });

    const request = toRequest(ctx, options.baseUrl);
    let claims: AccessTokenClaims;
    try {
      claims = (await oauth.validateJwtAccessToken(as, request, options.audience, {
        requireDPoP: dpop.required,
        [oauth.allowInsecureRequests]: options.allowInsecureRequests,
      })) as AccessTokenClaims;
    } catch (error) {
      if (unreachableKeys(error)) throw error;
      return invalid();
    }

    if (sentAs === 'DPoP') {
      // oauth4webapi has verified the proof; what it leaves to the server is the nonce and replays.
      const proof = decodeJwt(ctx.get('dpop'));
      if (nonces && !nonces.accepts(proof.nonce)) {
        return refuse(ctx, 401, 'DPoP', { error: 'use_dpop_nonce', error_description: 'a DPoP nonce from this server is required' });
      }
      if (!(await replay.firstUse(String((claims.cnf as { jkt?: string } | undefined)?.jkt), String(proof.jti)))) return invalid();
      if (nonces) ctx.set('DPoP-Nonce', nonces.current());
    }

    if (
      options.scope &&
      !String(claims.scope ?? '')
        .split(' ')
        .includes(options.scope)
    ) {
      return refuse(ctx, 403, sentAs, {
        error: 'insufficient_scope',
        error_description: `the scope ${options.scope} is required`,
        scope: options.scope,
      });
    }
    const tooOld =
      options.maxAge !== undefined && (claims.auth_time === undefined || Date.now() / 1000 - claims.auth_time > options.maxAge);
    if (!claims.acr || !acceptable.has(claims.acr) || tooOld) {
      return refuse(ctx, 401, sentAs, {
        error: 'insufficient_user_authentication',
        error_description:
          tooOld && claims.acr && acceptable.has(claims.acr)
            ? 'a more recent authentication is required'
            : 'a stronger authentication is required',
        acr_values: options.challengeAcr,
        ...(options.maxAge !== undefined ? { max_age: options.maxAge } : {}),
      });
    }
    ctx.state.accessToken = claims;
    await next();
  };
}

/** The request as oauth4webapi checks it: method, the public URL (the proof's `htu`) and the two headers it reads. */
function toRequest(ctx: Context, baseUrl: string | undefined): Request {
  const url = `${baseUrl ? baseUrl.replace(/\/+$/, '') : `${ctx.protocol}://${ctx.host}`}${ctx.originalUrl}`;
  const headers = new Headers({ authorization: ctx.get('authorization') });
  const proof = ctx.get('dpop');
  if (proof) headers.set('dpop', proof);
  return new Request(url, { method: ctx.method, headers });
}

// Only to pick the challenge's scheme: the token is verified (or refused) by oauth4webapi either way.
function boundToKey(token: string): boolean {
  try {
    const cnf = decodeJwt(token).cnf as { jkt?: unknown } | undefined;
    return typeof cnf?.jkt === 'string';
  } catch {
    return false;
  }
}

// The issuer's keys could not be fetched: a server fault, not the client's token.
function unreachableKeys(error: unknown): boolean {
  if (error instanceof oauth.OperationProcessingError)
    return error.code === oauth.RESPONSE_IS_NOT_CONFORM || error.code === oauth.RESPONSE_IS_NOT_JSON;
  return error instanceof TypeError && error.message === 'fetch failed';
}
