import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { Database } from '../db/connect.ts';
import { AUDIT_SCOPE } from '../audit/auth.ts';
import { createOidcAdapter } from '../db/oidc-adapter.ts';
import type { StepUp } from '../plugin.ts';
import { DEMO_API_SCOPES } from './demo/mount.ts';
import { errorPage, escapeHtml, page } from '../http/html.ts';

const OIDC_SCOPES = ['openid', 'profile', 'email'];

/** Everything the bundled IdP's Provider is built from. */
export interface ProviderSettings {
  issuer: string;
  db: Database;
  stepup: StepUp;
  signingKeys: JWK[];
  cookieKeys: string[];
  /** Statically configured, first-party clients: consent is implied for them. */
  clients: ClientMetadata[];
  /** Open dynamic client registration (sandbox mode). */
  openRegistration: boolean;
  /** A resource server (the demo API) whose access tokens are RFC 9068 JWTs; none without. */
  resourceAudience?: string;
  /** Behind a TLS-terminating proxy: trust X-Forwarded-*. */
  proxy: boolean;
}

const TTL = {
  AccessToken: 600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  IdToken: 3600,
  Interaction: 1800,
  RefreshToken: 86400,
  Session: 14 * 86400,
  Grant: 14 * 86400,
  DeviceCode: 600,
  BackchannelAuthenticationRequest: 600,
};

/** Builds the bundled IdP's oidc-provider with step-up wired in. */
export function createProvider(settings: ProviderSettings): Provider {
  const { stepup } = settings;
  const firstParty = new Set(settings.clients.map((c) => c.client_id));

  const configuration: Configuration = {
    adapter: createOidcAdapter(settings.db),
    clients: settings.clients,
    jwks: { keys: settings.signingKeys as Configuration['jwks'] extends { keys: infer K } ? K : never },
    cookies: { keys: settings.cookieKeys },
    acrValues: stepup.acrValues,
    // audit:read is for client credentials tokens of clients registered with it (src/audit/auth.ts).
    scopes: ['openid', 'offline_access', AUDIT_SCOPE],
    claims: {
      openid: stepup.openidClaims,
      profile: ['name'],
      email: ['email'],
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      // An RP that needs the requested acr kept out of the person's reach sends it in a pushed request
      // (PAR, RFC 9126) or a signed request object (JAR, RFC 9101), also pushed if it likes. Clients opt in
      // per registration: `require_pushed_authorization_requests`, `require_signed_request_object`.
      pushedAuthorizationRequests: { enabled: true },
      requestObjects: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      clientCredentials: { enabled: true },
      registration: { enabled: settings.openRegistration },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      resourceIndicators: {
        enabled: !!settings.resourceAudience,
        // Tokens requested with `resource=<demo API>` are RFC 9068 JWTs; without a resource they are
        // opaque userinfo tokens, which introspection (RFC 9470 §6.2) describes.
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (!settings.resourceAudience || resource !== settings.resourceAudience) throw new errors.InvalidTarget();
          return {
            scope: DEMO_API_SCOPES.join(' '),
            audience: settings.resourceAudience,
            accessTokenTTL: TTL.AccessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    interactions: {
      policy: stepup.interactionPolicy,
      url: async (_ctx, interaction) => stepup.paths.interaction(interaction.uid),
    },
    ttl: { ...TTL },
    pkce: { required: () => true },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri: string) => URL.parse(uri)?.origin === origin) ?? false,
    async findAccount(ctx, sub, token) {
      const account = await stepup.accounts.findById(sub);
      if (!account) return undefined;
      const txn = await stepup.txn(ctx, token);
      return {
        accountId: account.id,
        async claims() {
          return { sub: account.id, name: account.name, email: account.email, ...(txn ? { txn } : {}) };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      // First-party clients (configured by the operator) need no consent screen.
      if (!firstParty.has(ctx.oidc.client!.clientId) || !ctx.oidc.session?.accountId) return undefined;
      const requested = String((ctx.oidc.params as { scope?: string }).scope ?? '').split(' ');
      const grant = new ctx.oidc.provider.Grant({ accountId: ctx.oidc.session.accountId, clientId: ctx.oidc.client!.clientId });
      grant.addOIDCScope(requested.filter((s) => OIDC_SCOPES.includes(s)).join(' '));
      const apiScopes = requested.filter((s) => DEMO_API_SCOPES.includes(s));
      if (apiScopes.length > 0 && settings.resourceAudience) grant.addResourceScope(settings.resourceAudience, apiScopes.join(' '));
      const id = await grant.save();
      ctx.oidc.session.grantIdFor(ctx.oidc.client!.clientId, id);
      return ctx.oidc.provider.Grant.find(id);
    },
    extraTokenClaims: (ctx, token) => stepup.extraTokenClaims(ctx, token),
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in error', `${out.error}: ${out.error_description ?? ''}`);
    },
  };

  const provider = new Provider(settings.issuer, configuration);
  provider.proxy = settings.proxy;
  return provider;
}

// Introspection answers resource servers and the token's own client; anyone else learns nothing.
async function introspectionAllowed(
  _ctx: KoaContextWithOIDC,
  client: { clientId: string; clientAuthMethod?: string },
  token: { clientId?: string },
) {
  return client.clientAuthMethod !== 'none' || token.clientId === client.clientId;
}

async function logoutSource(ctx: KoaContextWithOIDC, form: string) {
  ctx.body = page('Sign out', `<h1>Sign out?</h1>${form}<button form="op.logoutForm" value="yes" name="logout">Sign out</button>`);
}

async function postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
  ctx.body = page('Signed out', `<h1>Signed out</h1><p>${escapeHtml('You are signed out.')}</p>`);
}
