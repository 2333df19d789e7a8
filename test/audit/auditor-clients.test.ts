import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { addAuditClient } from '../../src/audit/clients.ts';
import { StepUpError } from '../../src/errors.ts';
import { useTestIdp } from '../support/idp.ts';
import { defaultPolicyEnv } from '../support/policy-env.ts';
import { auditGet } from './support.ts';

// Production mode: no open registration, no demo; real vendor secrets come from the environment.
Object.assign(process.env, defaultPolicyEnv());
const idp = useTestIdp({ sandbox: false });

const tokenFor = async (clientId: string, clientSecret: string, scope: string) => {
  const config = await oidc.discovery(new URL(idp().issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  return (await oidc.clientCredentialsGrant(config, { scope })).access_token;
};

describe('auditor clients registered by an operator', () => {
  it('get audit:read tokens by client credentials that the audit API accepts, with open registration off', async () => {
    const { clientSecret } = await addAuditClient(idp().db, 'soc-auditor');
    const token = await tokenFor('soc-auditor', clientSecret, 'audit:read');
    expect((await auditGet(idp().issuer, '/audit/events', token)).status).toBe(200);
  });

  // An auditor's credentials open the audit API and nothing else: no other scope, no sign-in flows.
  it('cannot obtain any other scope, and its secret is required', async () => {
    const { clientSecret } = await addAuditClient(idp().db, 'narrow-auditor');
    await expect(tokenFor('narrow-auditor', clientSecret, 'openid')).rejects.toThrow();
    await expect(tokenFor('narrow-auditor', 'wrong-secret', 'audit:read')).rejects.toThrow();
  });

  it('refuses a duplicate or malformed client id without changing the existing client', async () => {
    const first = await addAuditClient(idp().db, 'dup-auditor');
    await expect(addAuditClient(idp().db, 'dup-auditor')).rejects.toBeInstanceOf(StepUpError);
    await expect(addAuditClient(idp().db, '../etc')).rejects.toBeInstanceOf(StepUpError);
    expect(await tokenFor('dup-auditor', first.clientSecret, 'audit:read')).toBeTruthy();
  });
});
