import * as oidc from 'openid-client';

/** How one of this IdP's own clients authenticates to it. */
export interface OwnClient {
  clientId: string;
  clientSecret: string;
}

/**
 * The discovery of this IdP for one of its own clients (the demo RP, the audit console), done on first use
 * rather than at start-up, when the IdP is not listening yet; a failed attempt is tried again next time.
 */
export function ownIssuerDiscovery(issuer: string, client: OwnClient): () => Promise<oidc.Configuration> {
  let config: Promise<oidc.Configuration> | undefined;
  return () => {
    config ??= oidc
      .discovery(new URL(issuer), client.clientId, client.clientSecret, undefined, {
        execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        config = undefined;
        throw error;
      });
    return config;
  };
}
