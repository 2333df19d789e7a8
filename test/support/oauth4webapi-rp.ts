import * as oauth from 'oauth4webapi';
import { Browser, type Page } from './browser.ts';
import { completeCapture } from './flows.ts';
import { passConsent, REDIRECT_URI, submitLogin } from './rp.ts';

/** Walks one page of the IdP's interaction (the login form, the step-up page) and returns where it leads. */
export type InteractionHook = (page: Page, browser: Browser, attempt: number) => Promise<Page>;

/** What one authorization asks for and how the person (scripted) answers. */
export interface AuthorizeOptions {
  acr_values?: string;
  /** The `claims` parameter, e.g. `{ id_token: { acr: { essential: true, values: [...] } } }`. */
  claims?: unknown;
  max_age?: number;
  prompt?: string;
  /** Further authorization parameters (`scope` defaults to `openid`, `resource`, `login_hint`…). */
  params?: Record<string, string>;
  /** Push the request first (RFC 9126). */
  par?: boolean;
  /** Send the parameters in a request object (RFC 9101): signed with the client's key, or `'unsigned'` (`alg: none`). */
  jar?: boolean | 'unsigned';
  /** Lets the test edit the URL the browser opens, as a person could. */
  editUrl?: (url: URL) => URL;
  /** Answers a login form; default: alice / alice. */
  login?: InteractionHook;
  /** Answers a biometric capture page; without one, a capture page fails the authorization. */
  stepUp?: InteractionHook;
  /** The person's browser, to keep the IdP session between authorizations; default: a new one. */
  browser?: Browser;
}

/** The validated result of an authorization. */
export interface Authorized {
  /** The ID token's claims, validated by oauth4webapi (signature, iss, aud, nonce, `max_age` against auth_time). */
  claims: oauth.IDToken;
  tokens: oauth.TokenEndpointResponse;
  browser: Browser;
}

/** A login hook signing in `username` (password = username, as the demo accounts have it). */
export const loginAs =
  (username: string, password = username): InteractionHook =>
  (page, browser) =>
    submitLogin(browser, page, username, password);

/** A step-up hook ending the Gu1 sandbox capture with `outcome` (DESIGN §9 control endpoint). */
export const captureOutcome =
  (issuer: string, outcome: Record<string, unknown> = { outcome: 'approve', liveness: 0.99, match: 0.99 }): InteractionHook =>
  (page, browser) =>
    completeCapture(issuer, browser, page, outcome);

const insecure = { [oauth.allowInsecureRequests]: true } as const;

/**
 * GETs `url` with `Authorization: DPoP` and a proof from oauth4webapi, retrying once when the server asks
 * for its nonce (`use_dpop_nonce`; the handle keeps the nonce). Answers the response, challenges included;
 * `onRequest` sees the headers of every request sent.
 */
export async function callWithDpop(
  dpop: oauth.DPoPHandle,
  url: string,
  accessToken: string,
  onRequest?: (headers: Headers) => void,
): Promise<Response> {
  const send = () =>
    oauth.protectedResourceRequest(accessToken, 'GET', new URL(url), new Headers(), null, {
      DPoP: dpop,
      ...insecure,
      [oauth.customFetch]: (target, init) => {
        onRequest?.(new Headers(init.headers));
        return fetch(target, init as RequestInit);
      },
    });
  const challenged = (error: unknown) => {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  };
  return send().catch((error) => (oauth.isDPoPNonceError(error) ? send().catch(challenged) : challenged(error)));
}

const MAX_PAGES = 12;

/**
 * A relying party built on oauth4webapi, a client library this project did not write, talking to the
 * test IdP over HTTP: dynamic registration, PKCE (S256), PAR, JAR, DPoP-bound tokens and ID token
 * validation are all oauth4webapi's.
 */
export class Oauth4webapiRp {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly dpop: oauth.DPoPHandle;
  readonly #auth: oauth.ClientAuth;
  readonly #requestObjectKey: CryptoKeyPair;

  private constructor(
    as: oauth.AuthorizationServer,
    client: oauth.Client,
    auth: oauth.ClientAuth,
    dpopKey: CryptoKeyPair,
    requestObjectKey: CryptoKeyPair,
  ) {
    this.as = as;
    this.client = client;
    this.#auth = auth;
    this.dpop = oauth.DPoP(client, dpopKey);
    this.#requestObjectKey = requestObjectKey;
  }

  /** Discovers `issuer` and registers a client (open registration in sandbox mode) with `metadata` on top of a code-flow client with a request-object key. */
  static async register(issuer: string, metadata: Partial<oauth.Client> = {}): Promise<Oauth4webapiRp> {
    const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), insecure));
    const requestObjectKey = await oauth.generateKeyPair('ES256', { extractable: true });
    const publicJwk = await crypto.subtle.exportKey('jwk', requestObjectKey.publicKey);
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          client_name: 'oauth4webapi RP',
          token_endpoint_auth_method: 'client_secret_basic',
          jwks: { keys: [{ kty: publicJwk.kty!, crv: publicJwk.crv!, x: publicJwk.x!, y: publicJwk.y!, alg: 'ES256', use: 'sig' }] },
          request_object_signing_alg: 'ES256',
          ...metadata,
        } as Partial<oauth.Client>,
        insecure,
      ),
    );
    const client = registered as oauth.Client;
    return new Oauth4webapiRp(
      as,
      client,
      oauth.ClientSecretBasic(client.client_secret as string),
      await oauth.generateKeyPair('ES256'),
      requestObjectKey,
    );
  }

  /** Runs a whole authorization in a scripted browser and returns the validated ID token claims and tokens; authorization errors throw oauth4webapi's `AuthorizationResponseError`. */
  async authorize(options: AuthorizeOptions = {}): Promise<Authorized> {
    const browser = options.browser ?? new Browser(new URL(this.as.issuer).origin);
    const { url, state, nonce, verifier } = await this.authorizationUrl(options);
    const callback = await this.#interact(browser, (options.editUrl ?? ((u) => u))(url), options);
    const params = oauth.validateAuthResponse(this.as, this.client, new URL(callback), state);
    const response = await oauth.authorizationCodeGrantRequest(this.as, this.client, this.#auth, params, REDIRECT_URI, verifier, {
      DPoP: this.dpop,
      ...insecure,
    });
    const tokens = await oauth.processAuthorizationCodeResponse(this.as, this.client, response, {
      expectedNonce: nonce,
      requireIdToken: true,
      ...(options.max_age !== undefined ? { maxAge: options.max_age } : {}),
    });
    return { claims: oauth.getValidatedIdTokenClaims(tokens)!, tokens, browser };
  }

  /** The URL the browser opens for `options`: parameters in the query, in a request object, or pushed. */
  async authorizationUrl(options: AuthorizeOptions): Promise<{ url: URL; state: string; nonce: string; verifier: string }> {
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const verifier = oauth.generateRandomCodeVerifier();
    let params: Record<string, string> = {
      client_id: this.client.client_id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(options.acr_values ? { acr_values: options.acr_values } : {}),
      ...(options.claims ? { claims: JSON.stringify(options.claims) } : {}),
      ...(options.max_age !== undefined ? { max_age: String(options.max_age) } : {}),
      ...(options.prompt ? { prompt: options.prompt } : {}),
      ...options.params,
    };
    if (options.jar) params = { client_id: this.client.client_id, request: await this.#requestObject(params, options.jar) };
    if (options.par) {
      const pushed = await oauth.pushedAuthorizationRequest(this.as, this.client, this.#auth, params, { DPoP: this.dpop, ...insecure });
      const { request_uri } = await oauth.processPushedAuthorizationResponse(this.as, this.client, pushed);
      params = { client_id: this.client.client_id, request_uri };
    }
    const url = new URL(this.as.authorization_endpoint!);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return { url, state, nonce, verifier };
  }

  /** Calls a protected resource with the access token, with a DPoP proof unless `as` is `'Bearer'` (see {@link callWithDpop}). */
  async callApi(
    url: string,
    accessToken: string,
    as: 'DPoP' | 'Bearer' = 'DPoP',
    onRequest?: (headers: Headers) => void,
  ): Promise<Response> {
    if (as === 'Bearer') return fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
    return callWithDpop(this.dpop, url, accessToken, onRequest);
  }

  async #requestObject(params: Record<string, string>, kind: true | 'unsigned'): Promise<string> {
    if (kind === true) return oauth.issueRequestObject(this.as, this.client, params, this.#requestObjectKey.privateKey);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${part({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${part({ ...params, iss: this.client.client_id, aud: this.as.issuer, iat: now, exp: now + 60 })}.`;
  }

  /** Follows the interaction until the browser is sent back to the redirect_uri, answering each page with the hooks. */
  async #interact(browser: Browser, url: URL, options: AuthorizeOptions): Promise<string> {
    let page = await browser.get(url.href);
    const attempts = { login: 0, stepUp: 0 };
    for (let i = 0; i < MAX_PAGES && !page.leftTo; i++) {
      if (/action="\/interaction\/[^"]+\/login"/.test(page.body))
        page = await (options.login ?? loginAs('alice'))(page, browser, ++attempts.login);
      else if (/action="\/interaction\/[^"]+\/consent"/.test(page.body)) page = await passConsent(browser, page);
      else if (/\/interaction\/[^/]+\/stepup/.test(page.url) && options.stepUp)
        page = await options.stepUp(page, browser, ++attempts.stepUp);
      else
        throw new Error(
          `the authorization stopped at ${page.url} (status ${page.status}): ${page.body
            .replace(/<[^>]+>/g, ' ')
            .replace(/\s+/g, ' ')
            .slice(0, 300)}`,
        );
    }
    if (!page.leftTo?.startsWith(REDIRECT_URI))
      throw new Error(`the authorization did not return to the RP after ${MAX_PAGES} pages (at ${page.url})`);
    return page.leftTo;
  }
}
