import * as oidc from 'openid-client';
import { Browser, type Page } from './browser.ts';

export const REDIRECT_URI = 'http://rp.example.test/callback';

/** A relying party registered dynamically at the test IdP, driving openid-client. */
export class TestRp {
  readonly config: oidc.Configuration;
  readonly clientId: string;
  readonly clientSecret: string;
  #pending?: { state: string; nonce: string; verifier: string; maxAge?: number };

  private constructor(config: oidc.Configuration, clientId: string, clientSecret: string) {
    this.config = config;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
  }

  /** Registers a client (open registration in sandbox mode) and discovers the issuer. */
  static async register(issuer: string, metadata: Record<string, unknown> = {}): Promise<TestRp> {
    const res = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        client_name: 'Test RP',
        ...metadata,
      }),
    });
    if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
    const client = (await res.json()) as { client_id: string; client_secret: string };
    const config = await oidc.discovery(new URL(issuer), client.client_id, client.client_secret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    return new TestRp(config, client.client_id, client.client_secret);
  }

  /** The authorization URL for `params` (PKCE, state and nonce added). */
  async authorizationUrl(params: Record<string, string> = {}): Promise<string> {
    const verifier = oidc.randomPKCECodeVerifier();
    this.#pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      maxAge: params.max_age ? Number(params.max_age) : undefined,
    };
    return oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: this.#pending.state,
      nonce: this.#pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...params,
    }).href;
  }

  /** Exchanges the code in the callback URL; throws the authorization error when there is one. */
  async callback(url: string) {
    const pending = this.#pending!;
    return oidc.authorizationCodeGrant(this.config, new URL(url), {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
    });
  }

  introspect(token: string) {
    return oidc.tokenIntrospection(this.config, token);
  }
}

/** The authorization error an RP received on its redirect_uri, or undefined. */
export function callbackError(url: string | undefined): { error: string; description?: string } | undefined {
  if (!url) return undefined;
  const params = new URL(url).searchParams;
  const error = params.get('error');
  return error ? { error, description: params.get('error_description') ?? undefined } : undefined;
}

/** Fills the login form of the interaction page. */
export function submitLogin(browser: Browser, page: Page, username: string, password: string): Promise<Page> {
  const action = /action="([^"]*\/interaction\/[^"]+\/login)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no login form at ${page.url} (status ${page.status}): ${page.body.slice(0, 300)}`);
  return browser.post(action, { username, password });
}

/** Allows a third-party client on the consent page when one is shown. */
export async function passConsent(browser: Browser, page: Page): Promise<Page> {
  const action = /action="([^"]*\/interaction\/[^"]+\/consent)"/.exec(page.body)?.[1];
  return action ? browser.post(action, {}) : page;
}

/** The sandbox session shown in the step-up page's iframe. */
export function sandboxSessionId(page: Page): string {
  const src = /<iframe src="[^"]*\/sandbox\/gu1\/session\/([^"/]+)"/.exec(page.body)?.[1];
  if (!src) throw new Error(`no Gu1 capture on ${page.url} (status ${page.status}): ${page.body.slice(0, 400)}`);
  return src;
}

/** Submits a page's self-posting form (oidc-provider's form_post pages, such as the logout on an account switch). */
export function submitAutoPost(browser: Browser, page: Page): Promise<Page> {
  const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no self-posting form at ${page.url}: ${page.body.slice(0, 300)}`);
  const inputs = Object.fromEntries(
    [...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
  );
  return browser.post(action.replace(/&amp;/g, '&'), inputs);
}
