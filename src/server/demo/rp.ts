import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import { parseChallenges, stepUpChallenge, type StepUpChallenge } from '../../resource-server/www-authenticate.ts';
import { escapeHtml as e, page } from '../../http/html.ts';
import { ownIssuerDiscovery, type OwnClient } from '../../http/own-client.ts';

/** The demo relying party's registration at this IdP. */
export type DemoClient = OwnClient;

interface DemoSession {
  pending?: { state: string; nonce: string; verifier: string; maxAge?: number };
  idTokenClaims?: Record<string, unknown>;
  accessToken?: string;
  /** `DPoP` when the access token is bound to the session's key, as the token endpoint said. */
  tokenType?: string;
  /** The key the access token is bound to (RFC 9449); its handle also keeps the servers' DPoP nonces. */
  dpop?: oidc.DPoPHandle;
  error?: string;
  apiResult?: { status: number; body: unknown; challenge?: StepUpChallenge };
}

const COOKIE = 'demo_rp';
const SESSION_LIMIT = 1000;

/**
 * A small relying party built on openid-client: it signs in, gets DPoP-bound tokens (a key pair per
 * session), calls the demo API with DPoP proofs, and on an RFC 9470 challenge re-authorizes with the
 * `acr_values` (and `max_age`) the API asked for.
 */
export function demoRpRoutes(input: { issuer: string; audience: string; client: DemoClient; scope: string }): Router {
  const router = new Router({ prefix: '/demo' });
  const sessions = new Map<string, DemoSession>();
  const redirectUri = `${input.issuer}/demo/callback`;
  const configuration = ownIssuerDiscovery(input.issuer, input.client);
  const session = (ctx: Context): DemoSession => {
    let id = ctx.cookies.get(COOKIE, { signed: true });
    if (!id || !sessions.has(id)) {
      id = randomBytes(16).toString('base64url');
      if (sessions.size >= SESSION_LIMIT) sessions.delete(sessions.keys().next().value!);
      sessions.set(id, {});
      ctx.cookies.set(COOKIE, id, { signed: true, httpOnly: true, sameSite: 'lax', path: '/demo' });
    }
    return sessions.get(id)!;
  };

  router.get('/', (ctx) => {
    ctx.body = demoPage(session(ctx));
  });

  router.get('/login', async (ctx) => {
    const s = session(ctx);
    const verifier = oidc.randomPKCECodeVerifier();
    const acrValues = typeof ctx.query.acr_values === 'string' ? ctx.query.acr_values : undefined;
    const maxAge = typeof ctx.query.max_age === 'string' && /^\d+$/.test(ctx.query.max_age) ? ctx.query.max_age : undefined;
    s.pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, maxAge: maxAge ? Number(maxAge) : undefined };
    const url = oidc.buildAuthorizationUrl(await configuration(), {
      redirect_uri: redirectUri,
      scope: input.scope,
      state: s.pending.state,
      nonce: s.pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      resource: input.audience,
      ...(acrValues ? { acr_values: acrValues } : {}),
      ...(maxAge ? { max_age: maxAge } : {}),
    });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const s = session(ctx);
    const pending = s.pending;
    s.pending = undefined;
    if (!pending) return ctx.redirect('/demo');
    try {
      const config = await configuration();
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(ctx.href.replace(/^https?:\/\/[^/]+/, input.issuer)),
        {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
        },
        undefined,
        { DPoP: dpop },
      );
      s.idTokenClaims = tokens.claims() as Record<string, unknown>;
      s.accessToken = tokens.access_token;
      s.tokenType = tokens.token_type;
      s.dpop = dpop;
      s.error = undefined;
      s.apiResult = undefined;
    } catch (error) {
      const err = error as { error?: string; error_description?: string; message: string };
      s.error = err.error ? `${err.error}: ${err.error_description ?? ''}` : err.message;
    }
    ctx.redirect('/demo');
  });

  router.post('/call', async (ctx) => {
    const s = session(ctx);
    const url = new URL(`${input.issuer}/demo/api/payments`);
    let res: Response;
    try {
      // openid-client signs a proof per request and retries once when the API asks for its nonce.
      res = s.accessToken
        ? await oidc.fetchProtectedResource(await configuration(), s.accessToken, url, 'GET', undefined, undefined, { DPoP: s.dpop })
        : await fetch(url);
    } catch (error) {
      if (!(error instanceof oidc.WWWAuthenticateChallengeError)) throw error;
      res = error.response;
    }
    s.apiResult = {
      status: res.status,
      body: await res.json().catch(() => null),
      challenge: stepUpChallenge(parseChallenges(res.headers.get('www-authenticate'))),
    };
    ctx.status = 303;
    ctx.redirect('/demo');
  });

  router.post('/logout', (ctx) => {
    const id = ctx.cookies.get(COOKIE, { signed: true });
    if (id) sessions.delete(id);
    ctx.cookies.set(COOKIE, null, { path: '/demo' });
    ctx.status = 303;
    ctx.redirect('/demo');
  });

  return router;
}

function demoPage(s: DemoSession): string {
  const claims = s.idTokenClaims;
  const challenge = s.apiResult?.challenge;
  const stepUpHref = challenge?.acr_values
    ? `/demo/login?acr_values=${encodeURIComponent(challenge.acr_values)}${challenge.max_age ? `&max_age=${encodeURIComponent(challenge.max_age)}` : ''}`
    : undefined;
  return page(
    'Demo relying party',
    `<h1>Demo relying party</h1>
<p class="muted">Signs in with openid-client, then calls a payments API that needs a biometric step-up (RFC 9470).</p>
${s.error ? `<p class="error" role="alert">Sign-in result: ${e(s.error)}</p>` : ''}
${
  claims
    ? `<h2>Signed in as ${e(claims.sub)}</h2>
<table><tr><th align="left">acr</th><td id="acr">${e(claims.acr ?? '')}</td></tr>
<tr><th align="left">amr</th><td id="amr">${e(JSON.stringify(claims.amr ?? []))}</td></tr>
<tr><th align="left">auth_time</th><td>${e(claims.auth_time ? new Date(Number(claims.auth_time) * 1000).toISOString() : '')}</td></tr>
<tr><th align="left">txn</th><td id="txn">${e(claims.txn ?? '')}</td></tr>
<tr><th align="left">access token</th><td id="token-type">${e(s.tokenType === 'dpop' ? 'DPoP-bound' : (s.tokenType ?? ''))}</td></tr></table>
<form method="post" action="/demo/call"><button type="submit" id="call-api">Call the payments API</button></form>`
    : `<p><a class="button" id="sign-in" href="/demo/login">Sign in</a></p>`
}
${
  s.apiResult
    ? `<h2>Payments API answered ${e(s.apiResult.status)}</h2>
${stepUpHref ? `<p>The API asks (<span id="challenge-scheme">${e(challenge!.scheme === 'dpop' ? 'DPoP' : 'Bearer')}</span> challenge) for a stronger authentication: <code>${e(challenge!.acr_values)}</code>.</p><p><a class="button" id="step-up" href="${e(stepUpHref)}">Verify with your face</a></p>` : ''}
<pre>${e(JSON.stringify(s.apiResult.body, null, 2))}</pre>`
    : ''
}
${claims ? `<form method="post" action="/demo/logout"><button type="submit" class="secondary">Forget tokens</button></form>` : ''}`,
  );
}
