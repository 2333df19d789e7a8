import type { Context } from 'koa';
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { satisfies } from '../../policy/decide.ts';
import { ownIssuerDiscovery, type OwnClient } from '../../http/own-client.ts';
import type { Level, Policy } from '../../policy/policy.ts';
import { CONSOLE_PATH, type ConsoleCookies, type ConsoleSession } from './session.ts';

/** The console's registration at this IdP: a confidential client with PKCE. */
export type ConsoleClient = OwnClient;

/** The console client's id at the bundled IdP. */
export const CONSOLE_CLIENT_ID = 'audit-console';

// A sign-in has this long to come back from the IdP (password, then the face capture).
const PENDING_SECONDS = 15 * 60;
// The session never outlives this, whatever the level's freshness.
const MAX_SESSION_SECONDS = 15 * 60;

/** The client metadata to register the console with the provider (first-party: no consent screen). */
export function consoleClientMetadata(issuer: string, client: ConsoleClient): ClientMetadata {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    client_name: 'Audit console',
    redirect_uris: [`${issuer}${CONSOLE_PATH}/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** Why a sign-in did not open the console; each has its own page. */
export type Refusal = 'expired' | 'failed' | 'level' | 'role';

/** What signing in needs. */
export interface SignInDeps {
  issuer: string;
  client: ConsoleClient;
  policy: () => Policy;
  /** The acr the console requires (a level of the policy); the strongest level when absent. */
  acr?: string;
  isAuditor(accountId: string): Promise<boolean>;
  cookies: ConsoleCookies;
  nowSeconds: () => number;
}

/**
 * The console's side of OIDC: an authorization code flow with PKCE, state and nonce, asking for the face
 * level (`acr_values` and an essential `acr` claim), then checking the ID token's `acr` and `auth_time`
 * against that level's freshness and the account's auditor role before opening a session.
 */
export function consoleSignIn(deps: SignInDeps) {
  const redirectUri = `${deps.issuer}${CONSOLE_PATH}/callback`;
  const configuration = ownIssuerDiscovery(deps.issuer, deps.client);

  /** The level the console requires under the policy in force. */
  const level = (): Level => {
    const policy = deps.policy();
    return (deps.acr ? policy.byAcr.get(deps.acr) : undefined) ?? policy.levels[policy.levels.length - 1]!;
  };

  return {
    level,

    /** Redirects to the IdP; `returnTo` is where the console opens afterwards. */
    async start(ctx: Context, returnTo: string, switchAccount: boolean): Promise<void> {
      const now = deps.nowSeconds();
      const pending = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        returnTo,
        exp: now + PENDING_SECONDS,
      };
      const acr = level().acr;
      const url = oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: 'openid',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        acr_values: acr,
        claims: JSON.stringify({ id_token: { acr: { essential: true, values: [acr] } } }),
        ...(switchAccount ? { prompt: 'login' } : {}),
      });
      deps.cookies.setPending(ctx, pending, now);
      ctx.redirect(url.href);
    },

    /** Handles the IdP's answer: a session, or the refusal to show. */
    async finish(ctx: Context): Promise<{ session: ConsoleSession; returnTo: string } | { refused: Refusal; detail?: string }> {
      const now = deps.nowSeconds();
      const pending = deps.cookies.pending(ctx, now);
      deps.cookies.clear(ctx, 'pending');
      if (!pending) return { refused: 'expired' };
      let claims: oidc.IDToken;
      try {
        const tokens = await oidc.authorizationCodeGrant(
          await configuration(),
          new URL(ctx.href.replace(/^https?:\/\/[^/]+/, deps.issuer)),
          {
            pkceCodeVerifier: pending.verifier,
            expectedState: pending.state,
            expectedNonce: pending.nonce,
            idTokenExpected: true,
          },
        );
        claims = tokens.claims()!;
      } catch (error) {
        const err = error as { error?: string; message?: string };
        return { refused: 'failed', detail: err.error ?? 'the answer of the identity provider could not be checked' };
      }
      const required = level();
      const held = {
        acr: typeof claims.acr === 'string' ? claims.acr : undefined,
        authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
      };
      if (!satisfies(deps.policy(), required, held, now)) return { refused: 'level' };
      if (!(await deps.isAuditor(claims.sub))) return { refused: 'role' };
      const exp = Math.min(now + MAX_SESSION_SECONDS, held.authTime! + (required.maxAge ?? MAX_SESSION_SECONDS));
      return { session: { sub: claims.sub, acr: held.acr!, authTime: held.authTime!, exp }, returnTo: pending.returnTo };
    },
  };
}

/** The console's sign-in handlers. */
export type ConsoleSignIn = ReturnType<typeof consoleSignIn>;
