import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../../src/server/app.ts';
import { Browser } from '../support/browser.ts';
import { passwordLogin } from '../support/flows.ts';
import { startTestIdp, useTestIdp } from '../support/idp.ts';
import { TestRp } from '../support/rp.ts';
import { auditGet, auditToken, registerAuditClient } from './support.ts';

// Property: the ledger is readable only with an unexpired client-credentials token this IdP issued with
// scope audit:read to a client registered for it; every other bearer is refused with an RFC 6750 challenge.

const idp = useTestIdp();
let other: RunningIdp | undefined;
beforeAll(async () => {
  other = await startTestIdp();
});
afterAll(() => other?.close());

const EVENTS = '/audit/events?limit=1';

describe('audit API authorization', () => {
  it('admits a client credentials token with audit:read', async () => {
    const token = await auditToken(await registerAuditClient(idp().issuer));
    const res = await auditGet(idp().issuer, EVENTS, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('asks for a token when none is sent', async () => {
    const res = await auditGet(idp().issuer, EVENTS);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="audit"');
  });

  it('refuses a malformed Authorization header', async () => {
    const res = await fetch(`${idp().issuer}${EVENTS}`, { headers: { authorization: 'Basic YWxpY2U6YWxpY2U=' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="audit", error="invalid_request"/);
  });

  it('refuses a token without audit:read with insufficient_scope', async () => {
    const client = await registerAuditClient(idp().issuer, 'audit:read');
    const res = await auditGet(idp().issuer, EVENTS, await auditToken(client, ''));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="audit", error="insufficient_scope", error_description="the scope audit:read is required", scope="audit:read"',
    );
  });

  it('refuses audit:read asked for by a client not registered for it', async () => {
    // A client registered without `scope` may ask oidc-provider for any scope string; the registration decides.
    const client = await registerAuditClient(idp().issuer, null);
    const token = await auditToken(client);
    const res = await auditGet(idp().issuer, EVENTS, token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses an expired token', async () => {
    const token = await auditToken(await registerAuditClient(idp().issuer));
    expect((await auditGet(idp().issuer, EVENTS, token)).status, 'valid while fresh').toBe(200);
    // Its expiry moved into the past, as if its ten minutes had gone by.
    await idp()
      .db.knex('oidc_payloads')
      .where({ model: 'ClientCredentials', id: token })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const res = await auditGet(idp().issuer, EVENTS, token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="audit", error="invalid_token"/);
  });

  it('refuses a revoked token', async () => {
    const client = await registerAuditClient(idp().issuer);
    const token = await auditToken(client);
    const { provider } = idp();
    await (await provider.ClientCredentials.find(token))!.destroy();
    expect((await auditGet(idp().issuer, EVENTS, token)).status).toBe(401);
  });

  it('refuses an audit:read token issued by another IdP', async () => {
    const foreign = await auditToken(await registerAuditClient(other!.issuer));
    expect((await auditGet(other!.issuer, EVENTS, foreign)).status, 'valid at its own issuer').toBe(200);
    const res = await auditGet(idp().issuer, EVENTS, foreign);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses a JWT signed by someone else, whatever it claims', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: 'audit:read', client_id: 'x' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer(idp().issuer)
      .setAudience(`${idp().issuer}/audit`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await auditGet(idp().issuer, EVENTS, forged)).status).toBe(401);
  });

  it("refuses a person's access token from the code flow", async () => {
    const rp = await TestRp.register(idp().issuer);
    const tokens = await passwordLogin(rp, new Browser(idp().issuer));
    const res = await auditGet(idp().issuer, EVENTS, tokens.access_token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('publishes the checkpoint keys without authentication', async () => {
    const res = await auditGet(idp().issuer, '/audit/jwks.json');
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(keys.length).toBeGreaterThan(0);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });
});
