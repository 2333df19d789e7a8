import type { Knex } from 'knex';
import type pg from 'pg';
import { copyOut } from '../db/copy-out.ts';

/**
 * Chain rows as the verifier reads them, several to a buffer: row i's seq, where its stored hash starts
 * and ends in `buf`, and where the exact bytes that hash covers (`prev_hash + "\n" + body`) start and end.
 * Nothing is decoded or re-encoded before hashing.
 */
export interface ChainRows {
  buf: Buffer;
  seqs: number[];
  hashAt: number[];
  hashEnd: number[];
  inputAt: number[];
  inputEnd: number[];
}

/** Row `i`'s stored hash. */
export function storedHash(rows: ChainRows, i: number): string {
  return rows.buf.toString('latin1', rows.hashAt[i], rows.hashEnd[i]);
}

/** Row `i`'s hash input. */
export function hashInput(rows: ChainRows, i: number): Buffer {
  return rows.buf.subarray(rows.inputAt[i], rows.inputEnd[i]);
}

/** The stored prev_hash, the first 64 characters of row `i`'s hash input. */
export function storedPrevHash(rows: ChainRows, i: number): string {
  return rows.buf.toString('latin1', rows.inputAt[i], rows.inputAt[i]! + 64);
}

/** The stored body, what follows prev_hash and the newline in row `i`'s hash input. */
export function storedBody(rows: ChainRows, i: number): string {
  return rows.buf.toString('utf8', rows.inputAt[i]! + 65, rows.inputEnd[i]);
}

/**
 * Up to `limit` rows from seq `from` to `to`, in seq order, in one snapshot. On PostgreSQL they stream as
 * a binary COPY (memory stays bounded whatever `limit` is); PGlite answers an ordinary query.
 */
export async function* chainRows(knex: Knex | Knex.Transaction, from: number, to: number, limit: number): AsyncGenerator<ChainRows> {
  const select = `select seq, hash, prev_hash || E'\\n' || body from ledger_events where seq >= ${from} and seq <= ${to} order by seq limit ${limit}`;
  if ((knex.client as Knex.Client).config.client !== 'pg') {
    yield await queriedRows(knex, select);
    return;
  }
  // A transaction's client hands out the transaction's own connection, so uncommitted rows are read too.
  const connection = (await knex.client.acquireConnection()) as pg.Client;
  try {
    for await (const { buf, starts } of copyOut(connection, `copy (${select}) to stdout (format binary)`)) {
      const rows: ChainRows = { buf, seqs: [], hashAt: [], hashEnd: [], inputAt: [], inputEnd: [] };
      for (let at of starts) {
        // Each field: a 32-bit length, then its bytes. seq is an int8, read as two 32-bit halves because a
        // BigInt per row would be garbage; seqs stay far below 2^53.
        at += 2;
        rows.seqs.push(buf.readUInt32BE(at + 4) * 2 ** 32 + buf.readUInt32BE(at + 8));
        at += 4 + buf.readInt32BE(at);
        rows.hashAt.push(at + 4);
        at += 4 + buf.readInt32BE(at);
        rows.hashEnd.push(at);
        rows.inputAt.push(at + 4);
        rows.inputEnd.push(at + 4 + buf.readInt32BE(at));
      }
      yield rows;
    }
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

async function queriedRows(knex: Knex | Knex.Transaction, select: string): Promise<ChainRows> {
  const result = (await knex.raw(select).options({ rowMode: 'array' })) as { rows: Array<[number, string, string]> };
  const parts: Buffer[] = [];
  const rows: ChainRows = { buf: Buffer.alloc(0), seqs: [], hashAt: [], hashEnd: [], inputAt: [], inputEnd: [] };
  let at = 0;
  for (const [seq, hash, input] of result.rows) {
    const hashBytes = Buffer.from(hash, 'latin1');
    const inputBytes = Buffer.from(input, 'utf8');
    parts.push(hashBytes, inputBytes);
    rows.seqs.push(Number(seq));
    rows.hashAt.push(at);
    rows.hashEnd.push(at + hashBytes.length);
    rows.inputAt.push(at + hashBytes.length);
    at += hashBytes.length + inputBytes.length;
    rows.inputEnd.push(at);
  }
  rows.buf = Buffer.concat(parts);
  return rows;
}
