import { compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Knex } from 'knex';

/*
 * A checkpoint is a JWS (compact, ES256) over the chain head:
 *
 *   protected header  {"alg":"ES256","kid":<ledger key thumbprint>,"typ":"stepup-ledger-checkpoint+jws"}
 *   payload           {"seq":<head seq>,"hash":<head hash>,"iat":<epoch seconds>}
 *
 * Whoever holds the public key (GET /audit/jwks.json) can tell that the ledger had exactly that head when
 * it was signed: any later rewrite of rows up to `seq`, or their removal, no longer matches.
 */

const TABLE = 'ledger_checkpoints';
export const CHECKPOINT_TYP = 'stepup-ledger-checkpoint+jws';

/** A stored checkpoint. */
export interface Checkpoint {
  seq: number;
  hash: string;
  kid: string;
  jws: string;
  createdAt: Date;
}

/** What a checkpoint signs. */
export interface CheckpointClaims {
  seq: number;
  hash: string;
  iat: number;
}

interface CheckpointRow {
  seq: number;
  hash: string;
  kid: string;
  jws: string;
  created_at: Date;
}

/**
 * One checkpoint: the one at `seq`, the first at or after `atOrAfter`, the last before `before`, or the
 * newest (`last`).
 */
export async function findCheckpoint(
  knex: Knex | Knex.Transaction,
  where: { seq: number } | { atOrAfter: number } | { before: number } | { last: true },
): Promise<Checkpoint | undefined> {
  const query = knex(TABLE);
  if ('seq' in where) query.where('seq', where.seq);
  else if ('atOrAfter' in where) query.where('seq', '>=', where.atOrAfter).orderBy('seq');
  else if ('before' in where) query.where('seq', '<', where.before).orderBy('seq', 'desc');
  else query.orderBy('seq', 'desc');
  const row = (await query.first()) as CheckpointRow | undefined;
  return row && fromRow(row);
}

/** The checkpoints with seq from `from` to `to`, in seq order. */
export async function checkpointsBetween(knex: Knex | Knex.Transaction, from: number, to: number): Promise<Checkpoint[]> {
  const rows = (await knex(TABLE).where('seq', '>=', from).andWhere('seq', '<=', to).orderBy('seq')) as CheckpointRow[];
  return rows.map(fromRow);
}

/** Public keys by kid, ready for checkCheckpoint. */
export async function importKeys(jwks: JWK[]): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  for (const jwk of jwks) if (jwk.kid) keys.set(jwk.kid, (await importJWK(jwk, 'ES256')) as CryptoKey);
  return keys;
}

/**
 * The claims of a checkpoint whose signature verifies with one of `keys` and whose stored seq and hash are
 * the signed ones; otherwise a sentence saying what is wrong.
 */
export async function checkCheckpoint(checkpoint: Checkpoint, keys: Map<string, CryptoKey>): Promise<CheckpointClaims | string> {
  const key = keys.get(checkpoint.kid);
  if (!key) return `checkpoint ${checkpoint.seq} is signed with key ${checkpoint.kid}, which is not a ledger key`;
  let claims: CheckpointClaims;
  try {
    const { payload, protectedHeader } = await compactVerify(checkpoint.jws, key, { algorithms: ['ES256'] });
    if (protectedHeader.typ !== CHECKPOINT_TYP || protectedHeader.kid !== checkpoint.kid)
      return `checkpoint ${checkpoint.seq} has an unexpected JWS header`;
    claims = JSON.parse(new TextDecoder().decode(payload)) as CheckpointClaims;
  } catch {
    return `checkpoint ${checkpoint.seq}: the signature does not verify`;
  }
  if (claims.seq !== checkpoint.seq || claims.hash !== checkpoint.hash) {
    return `checkpoint ${checkpoint.seq}: the stored seq or hash differs from the signed one (seq ${claims.seq})`;
  }
  return claims;
}

function fromRow(row: CheckpointRow): Checkpoint {
  return { seq: Number(row.seq), hash: row.hash, kid: row.kid, jws: row.jws, createdAt: row.created_at };
}
