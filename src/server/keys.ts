import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from 'knex';
import { sharedSetting } from './settings.ts';

// RS256 is what OIDC requires every OP to support; ES256 signs the JWT access tokens.
const ALGORITHMS = ['RS256', 'ES256'] as const;

/** The provider's private signing keys, generated on first start and kept in the database. */
export async function loadSigningKeys(knex: Knex): Promise<JWK[]> {
  await knex.transaction(async (trx) => {
    // The lock makes concurrent first starts generate one key set, not one each.
    await trx.raw('lock table signing_keys in exclusive mode');
    const present = new Set((await trx('signing_keys').select('alg')).map((r: { alg: string }) => r.alg));
    for (const alg of ALGORITHMS) {
      if (present.has(alg)) continue;
      const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
      const jwk = { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: randomUUID() };
      await trx('signing_keys').insert({ kid: jwk.kid, alg, private_jwk: JSON.stringify(jwk) });
    }
  });
  const rows = await knex('signing_keys').orderBy('created_at').select('private_jwk');
  return rows.map((r: { private_jwk: JWK }) => r.private_jwk);
}

/** Cookie-signing keys shared by every instance on the same database. */
export function loadCookieKeys(knex: Knex): Promise<string[]> {
  return sharedSetting(knex, 'cookie_keys', () => [randomBytes(32).toString('base64url')]);
}
