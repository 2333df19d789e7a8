import type { Knex } from 'knex';
import pg from 'pg';

/**
 * A page of the chain as the verifier reads it: each row's seq, stored hash and the exact bytes that hash
 * covers (`prev_hash + "\n" + body`), so nothing is re-encoded or decoded before hashing. The inputs sit
 * back to back in one buffer (`inputAt(page, i)`), which spares an allocation per row.
 */
export interface ChainPage {
  seqs: number[];
  hashes: string[];
  data: Buffer;
  /** Row i's input is `data[starts[i], starts[i + 1])`. */
  starts: number[];
}

/** Row `i`'s hash input, a view into the page's buffer. */
export function inputAt(page: ChainPage, i: number): Buffer {
  return page.data.subarray(page.starts[i], page.starts[i + 1]);
}

/** The stored prev_hash, the first 64 characters of a row's hash input. */
export function prevHashOf(input: Buffer): string {
  return input.toString('latin1', 0, 64);
}

/** The stored body, what follows prev_hash and the newline in a row's hash input. */
export function bodyOf(input: Buffer): string {
  return input.toString('utf8', 65);
}

/**
 * Up to `limit` rows from seq `from` to `to`. On PostgreSQL the rows come as a binary COPY, parsed as they
 * arrive: no row objects, no UTF-8 decoding of bodies; PGlite answers an ordinary query.
 */
export async function readChainPage(knex: Knex | Knex.Transaction, from: number, to: number, limit: number): Promise<ChainPage> {
  const select = `select seq, hash, prev_hash || E'\\n' || body from ledger_events where seq >= ${from} and seq <= ${to} order by seq limit ${limit}`;
  if ((knex.client as Knex.Client).config.client !== 'pg') {
    const result = (await knex.raw(select).options({ rowMode: 'array' })) as { rows: Array<[number, string, string]> };
    const inputs = result.rows.map((r) => Buffer.from(r[2], 'utf8'));
    const starts = [0];
    for (const input of inputs) starts.push(starts[starts.length - 1]! + input.length);
    return { seqs: result.rows.map((r) => Number(r[0])), hashes: result.rows.map((r) => r[1]), data: Buffer.concat(inputs), starts };
  }
  // A transaction's client hands out the transaction's own connection, so uncommitted rows are read too.
  const connection = (await knex.client.acquireConnection()) as pg.Client;
  try {
    return await copyOut(connection, `copy (${select}) to stdout (format binary)`);
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

const SIGNATURE_LENGTH = 11; // "PGCOPY\n\377\r\n\0"

// A pg "submittable": pg hands it the protocol messages of its query. Each CopyData message of a binary
// COPY holds one tuple (the first one also the file header); its buffer is pg's own and reused, so each
// tuple is taken apart before the handler returns.
function copyOut(client: pg.Client, text: string): Promise<ChainPage> {
  const seqs: number[] = [];
  const hashes: string[] = [];
  const starts = [0];
  let data = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    const submittable = {
      submit(connection: { query(text: string): void }) {
        connection.query(text);
      },
      handleCopyData(message: { chunk: Buffer }) {
        let chunk = message.chunk;
        if (chunk.length >= SIGNATURE_LENGTH && chunk[0] === 0x50 /* P */ && chunk.toString('latin1', 0, 6) === 'PGCOPY') {
          chunk = chunk.subarray(SIGNATURE_LENGTH + 8 + chunk.readUInt32BE(SIGNATURE_LENGTH + 4));
        }
        if (chunk.length < 2 || chunk.readInt16BE(0) !== 3) return; // the trailer (-1)
        let at = 2;
        const seqLength = chunk.readInt32BE(at);
        // Two 32-bit halves: a BigInt per row would be garbage; seqs stay far below 2^53.
        seqs.push(seqLength === 8 ? chunk.readUInt32BE(at + 4) * 2 ** 32 + chunk.readUInt32BE(at + 8) : NaN);
        at += 4 + seqLength;
        const hashLength = chunk.readInt32BE(at);
        hashes.push(chunk.toString('latin1', at + 4, at + 4 + hashLength));
        at += 4 + hashLength;
        const inputLength = chunk.readInt32BE(at);
        if (used + inputLength > data.length) {
          const grown = Buffer.allocUnsafe(Math.max(data.length * 2, used + inputLength));
          data.copy(grown, 0, 0, used);
          data = grown;
        }
        used += chunk.copy(data, used, at + 4, at + 4 + inputLength);
        starts.push(used);
      },
      handleError(error: Error) {
        failed = error;
        reject(error);
      },
      handleReadyForQuery() {
        if (!failed) resolve({ seqs, hashes, data, starts });
      },
      handleCommandComplete() {},
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handleCopyInResponse(connection: { sendCopyFail(message: string): void }) {
        connection.sendCopyFail('not a COPY FROM');
      },
    };
    client.query(submittable as unknown as pg.QueryConfig);
  });
}
