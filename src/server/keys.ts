import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from 'knex';
import type { Kek } from '../keys/kek.ts';
import { isSealed, seal, unseal } from '../keys/seal.ts';
import { sharedSetting } from './settings.ts';

// RS256 is what OIDC requires every OP to support; ES256 signs the JWT access tokens.
const ALGORITHMS = ['RS256', 'ES256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/**
 * The longest lifetime of a token the provider signs (ID tokens, one hour): a key replaced by a newer one is
 * kept for verification that long after the newer one started signing.
 */
export const SIGNED_TOKEN_LIFETIME_S = 3600;

/** One private signing key, unsealed, with the moment it starts (or started) signing. */
export interface SigningKey {
  jwk: JWK & { kid: string; alg: Algorithm };
  activeAt: Date;
}

/**
 * The provider's private signing keys: generated on first start (one per algorithm), kept in the database
 * sealed with the KEK, and unsealed here. Keys stored in the clear by an earlier version are sealed now.
 */
export async function loadSigningKeys(knex: Knex, kek: Kek): Promise<SigningKey[]> {
  return knex.transaction(async (trx) => {
    // The lock makes concurrent first starts generate one key set (and seal old rows once), not one each.
    await trx.raw('select pg_advisory_xact_lock(hashtext(current_schema() || ?))', ['.signing_keys']);
    const rows = (await trx('signing_keys').orderBy('created_at').select('kid', 'alg', 'private_jwk', 'sealed', 'active_at')) as Array<{
      kid: string;
      alg: Algorithm;
      private_jwk: JWK | null;
      sealed: string | null;
      active_at: Date;
    }>;
    const keys: SigningKey[] = [];
    for (const row of rows) {
      if (isSealed(row.sealed)) {
        keys.push({ jwk: JSON.parse(await unseal(kek, purpose(row.kid), row.sealed)) as SigningKey['jwk'], activeAt: row.active_at });
        continue;
      }
      await trx('signing_keys')
        .where({ kid: row.kid })
        .update({ sealed: await seal(kek, purpose(row.kid), JSON.stringify(row.private_jwk)), private_jwk: null });
      keys.push({ jwk: row.private_jwk as SigningKey['jwk'], activeAt: row.active_at });
    }
    // A rotation run before any instance ever started leaves only keys not active yet.
    const now = new Date();
    for (const alg of ALGORITHMS) {
      if (!keys.some((k) => k.jwk.alg === alg && k.activeAt <= now)) keys.push(await addSigningKey(trx, kek, alg, now));
    }
    return keys;
  });
}

/**
 * Adds a new key for every algorithm, published at once (JWKS) but signing only from `activeAt`, so relying
 * parties holding a cached JWKS have fetched it before they meet a token signed with it.
 */
export async function addSigningKeys(trx: Knex.Transaction, kek: Kek, activeAt: Date): Promise<SigningKey[]> {
  const added: SigningKey[] = [];
  for (const alg of ALGORITHMS) added.push(await addSigningKey(trx, kek, alg, activeAt));
  return added;
}

async function addSigningKey(trx: Knex.Transaction, kek: Kek, alg: Algorithm, activeAt: Date): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const jwk = { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: randomUUID() };
  await trx('signing_keys').insert({
    kid: jwk.kid,
    alg,
    sealed: await seal(kek, purpose(jwk.kid), JSON.stringify(jwk)),
    active_at: activeAt,
  });
  return { jwk, activeAt };
}

/**
 * The keys the provider holds at `now`, in the order it needs: per algorithm, the newest key already active
 * signs (oidc-provider signs with the first key of an algorithm that allows it); keys not active yet, and
 * older keys still within SIGNED_TOKEN_LIFETIME_S of being replaced, only verify; older ones are left out.
 */
export function providerKeys(keys: SigningKey[], now: Date): JWK[] {
  const result: JWK[] = [];
  for (const alg of ALGORITHMS) {
    const ofAlg = keys.filter((k) => k.jwk.alg === alg).sort((a, b) => b.activeAt.getTime() - a.activeAt.getTime());
    const signing = ofAlg.find((k) => k.activeAt <= now);
    if (signing) result.push(signing.jwk);
    for (const key of ofAlg) {
      if (key === signing) continue;
      const replacedAt = ofAlg.filter((k) => k.activeAt > key.activeAt && k.activeAt <= now).at(-1)?.activeAt;
      if (replacedAt && now.getTime() - replacedAt.getTime() > SIGNED_TOKEN_LIFETIME_S * 1000) continue;
      result.push({ ...key.jwk, key_ops: ['verify'] });
    }
  }
  return result;
}

/** Cookie-signing keys shared by every instance on the same database, sealed with the KEK. */
export async function loadCookieKeys(knex: Knex, kek: Kek): Promise<string[]> {
  const stored = await sharedSetting<string | string[]>(knex, 'cookie_keys', async () =>
    seal(kek, COOKIE_PURPOSE, JSON.stringify([randomBytes(32).toString('base64url')])),
  );
  if (isSealed(stored)) return JSON.parse(await unseal(kek, COOKIE_PURPOSE, stored)) as string[];
  // Kept in the clear by an earlier version: sealed now. Instances doing it together seal the same keys.
  await knex('settings')
    .where({ key: 'cookie_keys' })
    .update({ value: JSON.stringify(await seal(kek, COOKIE_PURPOSE, JSON.stringify(stored))) });
  return stored;
}

const COOKIE_PURPOSE = 'cookie_keys';
const purpose = (kid: string) => `signing_key:${kid}`;
