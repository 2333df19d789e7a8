import { randomBytes } from 'node:crypto';
import type { Database } from '../db/connect.ts';
import { createOidcAdapter } from '../db/oidc-adapter.ts';
import { StepUpError } from '../errors.ts';
import { AUDIT_SCOPE } from './auth.ts';

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Registers an auditor: a confidential client that may only obtain `audit:read` tokens by the client
 * credentials grant. Production mode has no open registration, so this is how operators create one.
 * Returns the client secret for the operator to hand over; no command shows it again.
 */
export async function addAuditClient(db: Database, clientId: string): Promise<{ clientId: string; clientSecret: string }> {
  if (!CLIENT_ID.test(clientId)) throw new StepUpError('bad_request', 'a client id is 1–64 letters, digits, dot, dash or underscore');
  const clients = new (createOidcAdapter(db))('Client');
  if (await clients.find(clientId)) throw new StepUpError('bad_request', `a client named ${clientId} already exists`);
  const clientSecret = randomBytes(32).toString('base64url');
  await clients.upsert(clientId, {
    client_id: clientId,
    client_secret: clientSecret,
    client_name: `Auditor ${clientId}`,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: AUDIT_SCOPE,
  });
  return { clientId, clientSecret };
}
