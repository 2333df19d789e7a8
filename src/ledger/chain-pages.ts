import type { Knex } from 'knex';

/** A page of the chain as the verifier reads it, column by column: seq, stored prev_hash, hash and body. */
export interface ChainPage {
  seqs: number[];
  prevHashes: string[];
  hashes: string[];
  bodies: string[];
}

/** Up to `limit` rows from seq `from` to `to`, as arrays rather than row objects (the driver's `rowMode`). */
export async function readChainPage(knex: Knex | Knex.Transaction, from: number, to: number, limit: number): Promise<ChainPage> {
  const { rows } = (await knex
    .raw(`select seq, prev_hash, hash, body from ledger_events where seq >= ? and seq <= ? order by seq limit ${limit}`, [from, to])
    .options({ rowMode: 'array' })) as { rows: Array<[number, string, string, string]> };
  const page: ChainPage = { seqs: [], prevHashes: [], hashes: [], bodies: [] };
  for (const [seq, prevHash, hash, body] of rows) {
    page.seqs.push(Number(seq));
    page.prevHashes.push(prevHash);
    page.hashes.push(hash);
    page.bodies.push(body);
  }
  return page;
}
