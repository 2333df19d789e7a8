import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Router from '@koa/router';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Koa from 'koa';
import * as oauth from 'oauth4webapi';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopNonces, DpopReplayGuard } from '../../src/resource-server/dpop.ts';
import { requireAcr, type RequireAcrOptions } from '../../src/resource-server/require-acr.ts';
import { parseChallenges } from '../../src/resource-server/www-authenticate.ts';
import { callWithDpop } from '../support/oauth4webapi-rp.ts';

const AUDIENCE = 'https://api.example.test';
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;

let server: Server;
let base: string;
let issuerKeys: Keys;
let publicJwk: JWK;
let jwksAnswers = true;
const nonceSecret = randomBytes(32);

beforeAll(async () => {
  issuerKeys = await generateKeyPair('ES256', { extractable: true });
  publicJwk = { ...(await exportJWK(issuerKeys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const router = new Router();
  router.get('/jwks', (ctx) => {
    if (!jwksAnswers) return void (ctx.status = 503);
    ctx.body = { keys: [publicJwk] };
  });
  const guard = (extra: Partial<RequireAcrOptions>) =>
    requireAcr({
      authorizationServer: { issuer: base, jwks_uri: `${base}/jwks` },
      audience: AUDIENCE,
      acceptableAcrs: ['face'],
      challengeAcr: 'face',
      maxAge: 300,
      realm: 'test',
      allowInsecureRequests: true,
      ...extra,
    });
  const ok = (ctx: Koa.Context) => void (ctx.body = { sub: ctx.state.accessToken.sub });
  // Each route gets its own middleware: the base URL is only known once the server listens.
  let routes: { nonces?: Koa.Middleware; required?: Koa.Middleware } = {};
  router.get('/api/payments', (ctx, next) => (routes.nonces ??= guard({ baseUrl: base, dpop: { nonceSecret } }))(ctx, next), ok);
  router.get('/api/strict', (ctx, next) => (routes.required ??= guard({ baseUrl: base, dpop: { required: true } }))(ctx, next), ok);
  const app = new Koa().use(router.routes());
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** An RFC 9068 access token from the test issuer, bound to `jkt` when given. */
async function accessToken(claims: Record<string, unknown> = {}, jkt?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    client_id: 'rp',
    scope: 'payments:read',
    acr: 'face',
    auth_time: now - 10,
    ...(jkt ? { cnf: { jkt } } : {}),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(base)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(issuerKeys.privateKey);
}

/** A client's DPoP key: the pair, its public JWK and thumbprint. */
async function clientKey() {
  const pair = await oauth.generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { pair, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** A DPoP proof written by hand, so a test can get one claim wrong. */
async function proof(key: Awaited<ReturnType<typeof clientKey>>, token: string, claims: Record<string, unknown>): Promise<string> {
  const ath = createHash('sha256').update(token).digest('base64url');
  return new SignJWT({
    htm: 'GET',
    htu: `${base}/api/payments`,
    ath,
    jti: randomUUID(),
    nonce: new DpopNonces(nonceSecret).current(),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : Math.floor(Date.now() / 1000))
    .sign(key.pair.privateKey);
}

const get = (path: string, headers: Record<string, string>) => fetch(`${base}${path}`, { headers });
const firstChallenge = (res: Response) => parseChallenges(res.headers.get('www-authenticate'))[0];

describe('requireAcr verifies DPoP-bound access tokens with oauth4webapi', () => {
  it('accepts a bound token with a proof from oauth4webapi, handing out its nonce first', async () => {
    const key = await clientKey();
    const token = await accessToken({}, key.jkt);
    const seen: Headers[] = [];
    const res = await callWithDpop(oauth.DPoP({}, key.pair), `${base}/api/payments`, token, (h) => seen.push(h));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(res.headers.get('dpop-nonce')).toBe(new DpopNonces(nonceSecret).current());
  });

  it('accepts a hand-written proof that gets every claim right (the control for the refusals below)', async () => {
    const key = await clientKey();
    const token = await accessToken({}, key.jkt);
    const res = await get('/api/payments', { authorization: `DPoP ${token}`, dpop: await proof(key, token, {}) });
    expect(res.status).toBe(200);
  });

  const wrong: [string, (key: Awaited<ReturnType<typeof clientKey>>) => Promise<Record<string, unknown>>, string][] = [
    ['names another URL (htu)', async () => ({ htu: `${base}/api/other` }), 'invalid_token'],
    ['names another method (htm)', async () => ({ htm: 'POST' }), 'invalid_token'],
    [
      'is for another token (ath)',
      async () => ({ ath: createHash('sha256').update('another token').digest('base64url') }),
      'invalid_token',
    ],
    ['is ten minutes old (iat)', async () => ({ iat: Math.floor(Date.now() / 1000) - 600 }), 'invalid_token'],
    ['carries a nonce this server did not hand out', async () => ({ nonce: new DpopNonces(randomBytes(32)).current() }), 'use_dpop_nonce'],
    ['carries no nonce', async () => ({ nonce: undefined }), 'use_dpop_nonce'],
  ];
  it.each(wrong)('refuses a proof that %s', async (_what, change, error) => {
    // Each check of RFC 9449 §4.3 must hold, or a proof could be reused for another request or token.
    const key = await clientKey();
    const token = await accessToken({}, key.jkt);
    const res = await get('/api/payments', { authorization: `DPoP ${token}`, dpop: await proof(key, token, await change(key)) });
    expect(res.status).toBe(401);
    expect(firstChallenge(res)).toMatchObject({ scheme: 'dpop', parameters: { error } });
    if (error === 'use_dpop_nonce') expect(res.headers.get('dpop-nonce')).toBe(new DpopNonces(nonceSecret).current());
  });

  it('refuses a proof signed by a key other than the one the token is bound to', async () => {
    // The token's cnf.jkt is what makes it useless to a thief with a key of their own.
    const [owner, thief] = [await clientKey(), await clientKey()];
    const token = await accessToken({}, owner.jkt);
    const res = await get('/api/payments', { authorization: `DPoP ${token}`, dpop: await proof(thief, token, {}) });
    expect(res.status).toBe(401);
    expect(firstChallenge(res)).toMatchObject({ scheme: 'dpop', parameters: { error: 'invalid_token' } });
  });

  it('answers an unbound bearer token with too weak an authentication in the Bearer scheme, offering DPoP too', async () => {
    const res = await get('/api/payments', { authorization: `Bearer ${await accessToken({ acr: 'password' })}` });
    expect(res.status).toBe(401);
    expect(parseChallenges(res.headers.get('www-authenticate'))).toEqual([
      {
        scheme: 'bearer',
        parameters: {
          realm: 'test',
          error: 'insufficient_user_authentication',
          error_description: 'a stronger authentication is required',
          acr_values: 'face',
          max_age: '300',
        },
      },
      { scheme: 'dpop', parameters: { realm: 'test' } },
    ]);
  });

  it('asks for a fresh authentication when auth_time is older than max_age', async () => {
    const res = await get('/api/payments', {
      authorization: `Bearer ${await accessToken({ auth_time: Math.floor(Date.now() / 1000) - 301 })}`,
    });
    expect(res.status).toBe(401);
    expect(firstChallenge(res)).toMatchObject({
      scheme: 'bearer',
      parameters: { error: 'insufficient_user_authentication', max_age: '300' },
    });
  });

  it('refuses every bearer token where DPoP is required, with a DPoP challenge only', async () => {
    // Where DPoP is required, a token without a key is worth nothing, whoever holds it.
    const res = await get('/api/strict', { authorization: `Bearer ${await accessToken()}` });
    expect(res.status).toBe(401);
    expect(parseChallenges(res.headers.get('www-authenticate'))).toEqual([
      { scheme: 'dpop', parameters: { realm: 'test', error: 'invalid_token', error_description: 'the access token is not valid' } },
    ]);
  });

  it('fails closed when the issuer keys cannot be fetched', async () => {
    // No key, no access: an outage at the issuer must never let a token through.
    jwksAnswers = false;
    try {
      const fresh = requireAcr({
        authorizationServer: { issuer: base, jwks_uri: `${base}/jwks` },
        audience: AUDIENCE,
        acceptableAcrs: ['face'],
        challengeAcr: 'face',
        allowInsecureRequests: true,
      });
      const app = new Koa().use(fresh).use((ctx) => void (ctx.body = 'reached'));
      app.silent = true;
      const other = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => other.once('listening', resolve));
      const res = await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`, {
        headers: { authorization: `Bearer ${await accessToken()}` },
      });
      other.close();
      expect(res.status).toBe(500);
      expect(await res.text()).not.toContain('reached');
    } finally {
      jwksAnswers = true;
    }
  });

  it('refuses settings that would weaken the checks', () => {
    // A short nonce secret or a replay store that forgets too soon would quietly weaken every check.
    expect(() => new DpopNonces(randomBytes(16))).toThrow(/at least 32 bytes/);
    expect(() => new DpopReplayGuard(new RateLimiterMemory({ points: 2, duration: 600 }))).toThrow(/points: 1/);
    expect(() => new DpopReplayGuard(new RateLimiterMemory({ points: 1, duration: 60 }))).toThrow(/600 seconds/);
  });
});
