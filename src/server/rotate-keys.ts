import type { Knex } from 'knex';
import { appendEvent } from '../ledger/ledger.ts';
import { addSigningKeys, loadSigningKeys } from './keys.ts';
import type { Kek } from '../keys/kek.ts';

/** What a rotation added: one key per algorithm, all starting to sign at `activeAt`. */
export interface Rotation {
  activeAt: Date;
  keys: Array<{ kid: string; alg: string }>;
}

/**
 * Adds a new signing key per algorithm that starts signing `delaySeconds` from now, and records the rotation
 * in the ledger (kids and activation time, no key material) in the same transaction.
 */
export async function rotateSigningKeys(knex: Knex, kek: Kek, delaySeconds: number): Promise<Rotation> {
  // Opening the current keys first refuses a KEK other than theirs (e.g. a sandbox KEK generated in another
  // directory): keys sealed under it would stop every instance from starting.
  await loadSigningKeys(knex, kek);
  return knex.transaction(async (trx) => {
    const activeAt = new Date(Date.now() + delaySeconds * 1000);
    const added = await addSigningKeys(trx, kek, activeAt);
    const keys = added.map(({ jwk }) => ({ kid: jwk.kid, alg: jwk.alg }));
    // Last: the ledger lock is held to commit.
    await appendEvent(trx, { type: 'keys.rotated', data: { keys, activeAt: activeAt.toISOString() } });
    return { activeAt, keys };
  });
}
