import * as oidc from 'openid-client';
import { TestRp } from '../support/rp.ts';

/** A confidential client-credentials client registered at `issuer` (sandbox: open registration); `null`: no `scope`. */
export function registerAuditClient(issuer: string, scope: string | null = 'audit:read'): Promise<TestRp> {
  return TestRp.register(issuer, {
    redirect_uris: [],
    response_types: [],
    grant_types: ['client_credentials'],
    client_name: 'Auditor',
    ...(scope !== null ? { scope } : {}),
  });
}

/** A client credentials access token for `client`, asking for `scope`. */
export async function auditToken(client: TestRp, scope = 'audit:read'): Promise<string> {
  return (await oidc.clientCredentialsGrant(client.config, scope ? { scope } : {})).access_token;
}

/** GET an audit API path with an optional bearer token. */
export function auditGet(issuer: string, path: string, token?: string): Promise<Response> {
  return fetch(`${issuer}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}
