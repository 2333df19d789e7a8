import type { Knex } from 'knex';
import type pg from 'pg';
import type { Head, StoredEvent } from './chain.ts';
import { headStatement, lockStatement } from './lock.ts';

/**
 * Writes a group-commit batch in a transaction of its own, in two round trips on PostgreSQL: `begin`, the
 * writers' lock and the head in one, the insert and `commit` in the other. Other instances wait on the lock
 * for the whole transaction, so every round trip saved there is throughput for all of them (through knex it
 * took five). The insert carries its values as literals, escaped by pg, because a statement with bind
 * parameters cannot share a round trip with `commit`. `take`, a statement without parameters, runs under the
 * lock in the first round trip and its rows are handed to `chain` (the staged events it takes).
 */
export async function appendInOwnTransaction<R>(
  knex: Knex,
  table: string,
  chain: (head: Head, taken: unknown[]) => { rows: StoredEvent[]; results: R[] },
  take?: string,
): Promise<R[]> {
  const client = (await knex.client.acquireConnection()) as pg.Client;
  let open = true;
  try {
    const opened = (await client.query(
      `begin; ${lockStatement(table)}; ${headStatement(table, 'seq, hash')}${take ? `; ${take}` : ''}`,
    )) as unknown as pg.QueryResult[];
    const { rows, results } = chain(opened[2]!.rows[0] as Head, opened[3]?.rows ?? []);
    const values = rows.map(
      (r) => `(${Number(r.seq)}, ${client.escapeLiteral(r.body)}, ${client.escapeLiteral(r.prev_hash)}, ${client.escapeLiteral(r.hash)})`,
    );
    await client.query(
      rows.length > 0 ? `insert into ${table} (seq, body, prev_hash, hash) values ${values.join(', ')}; commit` : 'commit',
    );
    open = false;
    return results;
  } finally {
    // A failed statement leaves the transaction open (and the rest of its query unexecuted).
    if (open) await client.query('rollback').catch(() => undefined);
    await knex.client.releaseConnection(client);
  }
}
