import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import type { Kek } from '../keys/kek.ts';
import { seal, unseal } from '../keys/seal.ts';
import { lockLedgerTable } from './lock.ts';

const TABLE = 'ledger_keys';
// Private halves, sealed with the KEK; apart from ledger_keys, which is append-only, so they can be sealed in place.
const SECRETS = 'ledger_key_secrets';
const ALG = 'ES256';

/** The key that signs ledger checkpoints. */
export interface LedgerKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The checkpoint signing key. Given `file` (a private EC P-256 JWK kept outside the database), that key is
 * used and only its public half is recorded; otherwise a key is generated on first use and its private half
 * kept in `ledger_key_secrets`, sealed with `kek`. Either way every public key ever used stays in
 * `ledger_keys`, so old checkpoints verify.
 */
export async function loadLedgerKey(knex: Knex | Knex.Transaction, options: { file?: string; kek?: Kek } = {}): Promise<LedgerKey> {
  if (options.file) return keyFromFile(knex, options.file);
  if (!options.kek)
    throw new StepUpError('config_invalid', 'the ledger key is kept sealed in the database: a key-encryption key is needed to use it');
  return keyFromDatabase(knex, options.kek);
}

/** Every public key that ever signed a checkpoint (the JWKS published at /audit/jwks.json). */
export async function ledgerPublicKeys(knex: Knex | Knex.Transaction): Promise<JWK[]> {
  const rows = (await knex(TABLE).orderBy('created_at').select('public_jwk')) as Array<{ public_jwk: JWK }>;
  return rows.map((r) => r.public_jwk);
}

async function keyFromDatabase(knex: Knex | Knex.Transaction, kek: Kek): Promise<LedgerKey> {
  const work = async (trx: Knex.Transaction) => {
    // The lock makes concurrent first starts generate one key, not one each.
    await lockLedgerTable(trx, TABLE);
    const row = (await trx(SECRETS).orderBy('created_at', 'desc').first('kid', 'private_jwk', 'sealed')) as
      { kid: string; private_jwk: JWK | null; sealed: string | null } | undefined;
    if (row?.sealed) return JSON.parse(await unseal(kek, purpose(row.kid), row.sealed)) as JWK;
    if (row?.private_jwk) {
      // Kept in the clear before keys were sealed: sealed now, on the first start with a KEK.
      await trx(SECRETS)
        .where({ kid: row.kid })
        .update({ sealed: await seal(kek, purpose(row.kid), JSON.stringify(row.private_jwk)), private_jwk: null });
      return row.private_jwk;
    }
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const generated = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(generated);
    const privateJwk = { ...generated, kid, alg: ALG, use: 'sig' };
    await trx(TABLE).insert({ kid, alg: ALG, public_jwk: JSON.stringify(publicHalf(privateJwk)), private_jwk: null });
    await trx(SECRETS).insert({ kid, sealed: await seal(kek, purpose(kid), JSON.stringify(privateJwk)) });
    return privateJwk;
  };
  const jwk = knex.isTransaction ? await work(knex as Knex.Transaction) : await knex.transaction(work);
  return toLedgerKey(jwk);
}

const purpose = (kid: string) => `ledger_key:${kid}`;

async function keyFromFile(knex: Knex | Knex.Transaction, file: string): Promise<LedgerKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    throw new StepUpError('config_invalid', `ledger key ${file}: ${(error as Error).message}`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d)
    throw new StepUpError('config_invalid', `ledger key ${file}: expected a private EC P-256 JWK (ES256)`);
  const kid = await calculateJwkThumbprint(jwk);
  const key = await toLedgerKey({ ...jwk, kid, alg: ALG, use: 'sig' });
  await knex(TABLE)
    .insert({ kid, alg: ALG, public_jwk: JSON.stringify(key.publicJwk), private_jwk: null })
    .onConflict('kid')
    .ignore();
  return key;
}

async function toLedgerKey(jwk: JWK): Promise<LedgerKey> {
  return { kid: jwk.kid!, privateKey: (await importJWK(jwk, ALG)) as CryptoKey, publicJwk: publicHalf(jwk) };
}

function publicHalf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: ALG, use: 'sig' };
}
