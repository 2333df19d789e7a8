import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import { lockLedgerTable } from './lock.ts';

const TABLE = 'ledger_keys';
const ALG = 'ES256';

/** The key that signs ledger checkpoints. */
export interface LedgerKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The checkpoint signing key. Given `file` (a private EC P-256 JWK kept outside the database), that key is
 * used and only its public half is recorded; otherwise a key is generated on first use and kept in
 * `ledger_keys`. Either way every public key ever used stays in `ledger_keys`, so old checkpoints verify.
 */
export async function loadLedgerKey(knex: Knex, options: { file?: string } = {}): Promise<LedgerKey> {
  return options.file ? keyFromFile(knex, options.file) : keyFromDatabase(knex);
}

/** Every public key that ever signed a checkpoint (the JWKS published at /audit/jwks.json). */
export async function ledgerPublicKeys(knex: Knex | Knex.Transaction): Promise<JWK[]> {
  const rows = (await knex(TABLE).orderBy('created_at').select('public_jwk')) as Array<{ public_jwk: JWK }>;
  return rows.map((r) => r.public_jwk);
}

async function keyFromDatabase(knex: Knex): Promise<LedgerKey> {
  const jwk = await knex.transaction(async (trx) => {
    // The lock makes concurrent first starts generate one key, not one each.
    await lockLedgerTable(trx, TABLE);
    const row = (await trx(TABLE).whereNotNull('private_jwk').orderBy('created_at', 'desc').first('private_jwk')) as { private_jwk: JWK } | undefined;
    if (row) return row.private_jwk;
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const generated = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(generated);
    const privateJwk = { ...generated, kid, alg: ALG, use: 'sig' };
    await trx(TABLE).insert({ kid, alg: ALG, public_jwk: JSON.stringify(publicHalf(privateJwk)), private_jwk: JSON.stringify(privateJwk) });
    return privateJwk;
  });
  return toLedgerKey(jwk);
}

async function keyFromFile(knex: Knex, file: string): Promise<LedgerKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    throw new StepUpError('config_invalid', `ledger key ${file}: ${(error as Error).message}`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new StepUpError('config_invalid', `ledger key ${file}: expected a private EC P-256 JWK (ES256)`);
  const kid = await calculateJwkThumbprint(jwk);
  const key = await toLedgerKey({ ...jwk, kid, alg: ALG, use: 'sig' });
  await knex(TABLE).insert({ kid, alg: ALG, public_jwk: JSON.stringify(key.publicJwk), private_jwk: null }).onConflict('kid').ignore();
  return key;
}

async function toLedgerKey(jwk: JWK): Promise<LedgerKey> {
  return { kid: jwk.kid!, privateKey: (await importJWK(jwk, ALG)) as CryptoKey, publicJwk: publicHalf(jwk) };
}

function publicHalf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: ALG, use: 'sig' };
}
