import type { Knex } from 'knex';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/connect.ts';
import { copyOut } from '../../src/db/copy-out.ts';
import { freshDatabase, rolledBack, testEngines } from '../support/db.ts';

// The ledger verifier reads PostgreSQL's socket itself during a binary COPY; these tests hold it to what
// pg would have delivered, and to leaving the connection usable whatever happens mid-copy.

const postgres = testEngines().find((e) => e.name === 'postgres');

/** Each tuple's fields, a (int8, text) pair as the selects below produce. */
function decode(buf: Buffer, start: number): [number, string] {
  let at = start + 2;
  const n = Number(buf.readBigInt64BE(at + 4));
  at += 4 + buf.readInt32BE(at);
  const length = buf.readInt32BE(at);
  return [n, buf.toString('utf8', at + 4, at + 4 + length)];
}

async function withConnection<T>(knex: Knex | Knex.Transaction, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = (await knex.client.acquireConnection()) as pg.Client;
  try {
    return await work(client);
  } finally {
    await knex.client.releaseConnection(client);
  }
}

async function collect(client: pg.Client, sql: string, stopAfter = Infinity): Promise<Array<[number, string]>> {
  const rows: Array<[number, string]> = [];
  for await (const { buf, starts } of copyOut(client, `copy (${sql}) to stdout (format binary)`)) {
    for (const start of starts) rows.push(decode(buf, start));
    if (rows.length >= stopAfter) break;
  }
  return rows;
}

describe.skipIf(!postgres)('binary COPY read straight from the socket', () => {
  let db: Database;

  beforeAll(async () => {
    db = await freshDatabase(postgres!.target());
  });
  afterAll(async () => {
    await db?.close();
  });

  it('yields every row of a copy that spans many socket reads, byte for byte as a query returns them', async () => {
    // Rows of varied width, including multi-byte text and one wider than a socket read.
    const sql = `select i::int8, case when i = 777 then repeat('ø', 200000) else repeat('é', i % 97) || i end from generate_series(1, 30000) i`;
    const expected = (await db.knex.raw(sql.replace('::int8', '::int8 as n')).options({ rowMode: 'array' })) as {
      rows: Array<[string, string]>;
    };
    const rows = await withConnection(db.knex, (client) => collect(client, sql));
    expect(rows).toEqual(expected.rows.map(([n, text]) => [Number(n), text]));
  });

  it('stopping early drains the copy and leaves the connection ready for its next query', async () => {
    await withConnection(db.knex, async (client) => {
      const rows = await collect(client, 'select i::int8, repeat($$x$$, 300) from generate_series(1, 200000) i', 10);
      expect(rows.length).toBeGreaterThanOrEqual(10);
      expect(rows.length).toBeLessThan(200_000);
      expect((await client.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
    });
  });

  it('inside a transaction, an early stop keeps the transaction usable', async () => {
    await rolledBack(db, async (trx) => {
      await trx.raw('create temporary table kept (n int) on commit drop');
      await trx.raw('insert into kept values (7)');
      const rows = await withConnection(trx, (client) =>
        collect(client, 'select n::int8, $$kept$$ from kept cross join generate_series(1, 50000)', 1),
      );
      expect(rows[0]).toEqual([7, 'kept']);
      expect((await trx.raw('select n from kept')).rows).toEqual([{ n: 7 }]);
    });
  });

  it("a query error mid-copy rejects with PostgreSQL's message and the connection stays usable", async () => {
    await withConnection(db.knex, async (client) => {
      await expect(collect(client, 'select i::int8, (1 / (i - 20000))::text from generate_series(1, 30000) i')).rejects.toThrow(
        /division by zero/,
      );
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });
  });

  it('notices the server sends in the middle of the copy are skipped, not taken for rows', async () => {
    await db.knex.raw(`create function noisy(i int) returns int language plpgsql as $$
      begin if i % 1000 = 0 then raise notice 'row %', i; end if; return i; end $$`);
    const rows = await withConnection(db.knex, (client) =>
      collect(client, 'select noisy(i)::int8, i::text from generate_series(1, 5000) i'),
    );
    expect(rows).toHaveLength(5000);
    expect(rows[4999]).toEqual([5000, '5000']);
  });

  it('refuses a text-format COPY or a plain query instead of misreading it', async () => {
    // A text COPY breaks the framing mid-stream, so its connection is closed rather than reused.
    await withConnection(db.knex, async (client) => {
      await expect(toArray(copyOut(client, 'copy (select 1) to stdout'))).rejects.toThrow(/not a binary COPY/);
    });
    await withConnection(db.knex, async (client) => {
      await expect(toArray(copyOut(client, 'select 1'))).rejects.toThrow(/not a COPY/);
      expect((await client.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    });
  });
});

async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
