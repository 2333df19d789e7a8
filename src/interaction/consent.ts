import { errors, type default as Provider } from 'oidc-provider';
import type { Details } from './facts.ts';

/** Creates (or extends) the grant so it covers everything the client asked for. */
export async function grantEverythingRequested(
  provider: Provider,
  d: Pick<Details, 'grantId' | 'params' | 'prompt' | 'session'>,
): Promise<string> {
  const accountId = d.session?.accountId;
  if (!accountId) throw new errors.SessionNotFound('consent without a signed-in person');
  const grant =
    (d.grantId ? await provider.Grant.find(d.grantId) : undefined) ??
    new provider.Grant({ accountId, clientId: String(d.params.client_id) });
  const missing = d.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  return grant.save();
}
