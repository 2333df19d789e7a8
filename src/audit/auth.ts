import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { BEARER, bearerChallenge, bearerRequired } from '../resource-server/bearer.ts';

/** The scope the audit API requires. */
export const AUDIT_SCOPE = 'audit:read';

const REALM = 'audit';
// Opaque tokens of this IdP are 43 characters; anything far longer is not one and is not looked up.
const MAX_TOKEN_LENGTH = 512;

/**
 * Admits only access tokens this IdP issued by the client credentials grant with scope `audit:read`, to a
 * client whose registered `scope` lists `audit:read`. The token is looked up in the IdP's own store, so
 * foreign, forged, expired and revoked tokens are unknown here. Everything else gets an RFC 6750
 * challenge: 401 `invalid_token` or 403 `insufficient_scope`. Sets `ctx.state.auditClient`.
 */
export function requireAuditToken(provider: Provider): Middleware {
  const invalid = (ctx: Context, description: string) =>
    bearerChallenge(ctx, 401, { error: 'invalid_token', error_description: description }, REALM);

  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    if (!header) return bearerRequired(ctx, REALM);
    const value = BEARER.exec(header)?.[1];
    if (!value)
      return bearerChallenge(ctx, 400, { error: 'invalid_request', error_description: 'expected Authorization: Bearer <token>' }, REALM);
    const token = value.length <= MAX_TOKEN_LENGTH ? await provider.ClientCredentials.find(value).catch(() => undefined) : undefined;
    if (!token) return invalid(ctx, 'the access token is unknown, expired or revoked');
    // A resource-bound token was issued for another audience; a sender-constrained one would need a
    // DPoP or mTLS proof this API does not check, so it is not accepted as a plain bearer token.
    if (token.aud !== undefined) return invalid(ctx, 'the access token was issued for another resource');
    if (token.isSenderConstrained()) return invalid(ctx, 'sender-constrained access tokens are not accepted here');
    const client = await provider.Client.find(token.clientId!);
    if (!client) return invalid(ctx, 'the client of this access token no longer exists');
    // A client registered without a `scope` may ask for any scope, so the client's registration must list
    // audit:read as well as the token.
    const registered = new Set(String(client.scope ?? '').split(' '));
    if (!token.scopes.has(AUDIT_SCOPE) || !registered.has(AUDIT_SCOPE)) {
      return bearerChallenge(
        ctx,
        403,
        { error: 'insufficient_scope', error_description: `the scope ${AUDIT_SCOPE} is required`, scope: AUDIT_SCOPE },
        REALM,
      );
    }
    ctx.state.auditClient = client.clientId;
    await next();
  };
}
