import { createHash, randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { jwtVerify, SignJWT } from 'jose';
import type { Context, Next } from 'koa';
import { secretsEqual } from '../../vendors/webhook.ts';
import { basicCredentials, readForm } from '../http.ts';

/** The scope GlobalPass's token example shows. */
const SCOPE = 'IdentityServerApi IdentityServerApi.read_client_details screenings';

/** The API client the emulated identity server knows. */
export interface GlobalPassClient {
  clientId: string;
  clientSecret: string;
  /** Token lifetime; GlobalPass's example says 3600 s. */
  tokenTtlSeconds: number;
  /** The `iss` of tokens: the emulator's public URL. */
  issuer: string;
}

/**
 * The emulated identity server: `POST /connect/token` (client credentials, HTTP Basic) and a bearer
 * guard for the API. Tokens are JWTs (`typ: at+jwt`, as GlobalPass's are) signed with a key derived from
 * the client secret, so every instance sharing the policy accepts the tokens any of them issued.
 */
export function globalPassAuth(client: GlobalPassClient) {
  const key = createHash('sha256').update(`globalpass-sandbox-access-token\0${client.clientSecret}`).digest();

  // IdentityServer answers token errors as OAuth error JSON with 400 (vendors.md §1.2, INF).
  const oauthError = (ctx: Context, error: string) => {
    ctx.status = 400;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error };
  };

  /** The client credentials of a token request: HTTP Basic (documented) or form fields (IdentityServer accepts both). */
  function credentials(ctx: Context, form: URLSearchParams): { id: string; secret: string } | undefined {
    const basic = basicCredentials(ctx);
    if (basic !== undefined) return basic ?? undefined;
    const id = form.get('client_id');
    const secret = form.get('client_secret');
    return id && secret ? { id, secret } : undefined;
  }

  async function token(ctx: Context): Promise<void> {
    if (!ctx.is('application/x-www-form-urlencoded')) return oauthError(ctx, 'invalid_request');
    const form = await readForm(ctx);
    const presented = credentials(ctx, form);
    // Both compared in full, in constant time: no early exit tells which one was wrong.
    const idOk = presented ? secretsEqual(presented.id, client.clientId) : false;
    const secretOk = presented ? secretsEqual(presented.secret, client.clientSecret) : false;
    if (!idOk || !secretOk) return oauthError(ctx, 'invalid_client');
    const grant = form.get('grant_type');
    if (!grant) return oauthError(ctx, 'invalid_request');
    if (grant !== 'client_credentials') return oauthError(ctx, 'unsupported_grant_type');
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ client_id: client.clientId, scope: SCOPE.split(' ') })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(client.issuer)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + client.tokenTtlSeconds)
      .setJti(randomUUID())
      .sign(key);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { access_token: accessToken, expires_in: client.tokenTtlSeconds, token_type: 'Bearer', scope: SCOPE };
  }

  /** 401 with `WWW-Authenticate: Bearer` and no body (ASP.NET's JwtBearer) unless a valid token is presented. */
  async function requireToken(ctx: Context, next: Next): Promise<void> {
    const bearer = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(ctx.get('authorization'))?.[1];
    let valid = false;
    if (bearer) {
      try {
        const { payload } = await jwtVerify(bearer, key, { issuer: client.issuer, typ: 'at+jwt', algorithms: ['HS256'] });
        valid = payload.client_id === client.clientId;
      } catch {
        valid = false;
      }
    }
    if (!valid) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', bearer ? 'Bearer error="invalid_token"' : 'Bearer');
      ctx.body = '';
      return;
    }
    await next();
  }

  return {
    requireToken,
    register(router: Router): void {
      router.post('/connect/token', token);
    },
  };
}
