import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadKek } from '../../src/keys/kek.ts';
import { rotateSigningKeys } from '../../src/server/rotate-keys.ts';
import { providerKeys, SIGNED_TOKEN_LIFETIME_S, type SigningKey } from '../../src/server/keys.ts';
import { Browser } from '../support/browser.ts';
import { passwordLogin } from '../support/flows.ts';
import { useTestIdp } from '../support/idp.ts';
import { TestRp } from '../support/rp.ts';

// Property: rotating the signing keys never breaks a token: a new key is published before it signs, and tokens
// signed before the rotation keep verifying, for relying parties and for the provider itself.

const idp = useTestIdp();

const jwks = async () => (await (await fetch(`${idp().issuer}/jwks`)).json()) as JSONWebKeySet;
const idToken = async (rp: TestRp) => (await passwordLogin(rp, new Browser(idp().issuer))).id_token!;
const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

describe('stepup keys rotate', () => {
  it('publishes the new keys at once, signs with them after the delay, and keeps the old ones verifying', async () => {
    const rp = await TestRp.register(idp().issuer);
    const before = await idToken(rp);
    const oldKids = (await jwks()).keys.map((k) => k.kid);

    const rotation = await rotateSigningKeys(idp().db.knex, idp().kek, 3);
    const newRs256 = rotation.keys.find((k) => k.alg === 'RS256')!.kid;
    await idp().refreshKeys();
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([...oldKids, ...rotation.keys.map((k) => k.kid)].sort());
    expect(kidOf(await idToken(rp)), 'published, not signing yet').toBe(kidOf(before));

    await new Promise((r) => setTimeout(r, Math.max(0, rotation.activeAt.getTime() - Date.now()) + 50));
    await idp().refreshKeys();
    const after = await idToken(rp);
    expect(kidOf(after)).toBe(newRs256);

    const published = createLocalJWKSet(await jwks());
    await expect(jwtVerify(before, published, { issuer: idp().issuer, audience: rp.clientId })).resolves.toBeDefined();
    await expect(jwtVerify(after, published, { issuer: idp().issuer, audience: rp.clientId })).resolves.toBeDefined();
    // The provider itself still accepts the old token as an id_token_hint.
    const logout = await fetch(`${idp().issuer}/session/end?${new URLSearchParams({ id_token_hint: before, client_id: rp.clientId })}`);
    expect(logout.status).toBe(200);
  });

  it('refuses to add keys under a KEK other than the one the current keys are sealed with', async () => {
    const before = await idp().db.knex('signing_keys').count({ n: '*' });
    await expect(rotateSigningKeys(idp().db.knex, loadKek({ from: 'generated' }), 600)).rejects.toThrow(
      'was sealed with another key-encryption key',
    );
    expect(await idp().db.knex('signing_keys').count({ n: '*' })).toEqual(before);
  });

  it('records every rotation in the ledger: kids and activation time, no key material', async () => {
    const rotation = await rotateSigningKeys(idp().db.knex, idp().kek, 600);
    const rows = (await idp()
      .db.knex('ledger_events')
      .where({ type: 'keys.rotated' })
      .orderBy('seq', 'desc')
      .select('body', 'data')) as Array<{ body: string; data: unknown }>;
    expect(rows[0]!.data).toEqual({ keys: rotation.keys, activeAt: rotation.activeAt.toISOString() });
    expect(rows[0]!.body).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
  });
});

describe('the keys a provider holds', () => {
  const key = (kid: string, alg: 'RS256' | 'ES256', activeAt: number): SigningKey => ({
    jwk: { kty: 'EC', kid, alg },
    activeAt: new Date(activeAt),
  });
  const now = Date.parse('2026-12-03T12:00:00Z');
  const lifetime = SIGNED_TOKEN_LIFETIME_S * 1000;

  it('sign with the newest active key, verify with pending and recently replaced ones, and drop expired ones', () => {
    const keys = [
      key('old', 'ES256', now - 3 * lifetime),
      key('previous', 'ES256', now - 2 * lifetime),
      key('current', 'ES256', now - lifetime / 2),
      key('next', 'ES256', now + 60_000),
    ];
    expect(providerKeys(keys, new Date(now)).map((k) => [k.kid, k.key_ops])).toEqual([
      ['current', undefined],
      ['next', ['verify']],
      ['previous', ['verify']],
    ]);
    expect(providerKeys(keys, new Date(now + lifetime)).map((k) => [k.kid, k.key_ops])).toEqual([
      ['next', undefined],
      ['current', ['verify']],
    ]);
  });
});
