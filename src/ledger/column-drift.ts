import type { Knex } from 'knex';

/** The first row whose query columns disagree with its hashed body, and which columns do. */
export interface ColumnDrift {
  seq: number;
  columns: string[];
}

// Each query column and how the trigger of migration 20261122000003 derives it from the body.
const DERIVED: Array<[column: string, fromBody: string]> = [
  ['at', `(b ->> 'at')::timestamptz`],
  ['type', `b ->> 'type'`],
  ['verification_id', `b ->> 'verificationId'`],
  ['account_id', `b ->> 'accountId'`],
  ['client_id', `b ->> 'clientId'`],
  ['acr', `b ->> 'acr'`],
  ['vendor', `b ->> 'vendor'`],
  ['data', `b -> 'data'`],
];

const DRIFTED = `concat_ws(',', ${DERIVED.map(([column, fromBody]) => `case when e.${column} is distinct from ${fromBody} then '${column}' end`).join(', ')})`;
const ANY_DRIFT = `(${DERIVED.map(([c]) => `e.${c}`).join(', ')}) is distinct from (${DERIVED.map(([, f]) => f).join(', ')})`;

/**
 * Finds, in one statement, the first row in [from, to] whose columns say something its body does not. The
 * trigger keeps them equal; they differ only when a row was changed with triggers disabled, and queries and
 * indexes would then answer from values the hash chain does not cover. The body is parsed once per row.
 */
export async function firstColumnDrift(knex: Knex | Knex.Transaction, from: number, to: number): Promise<ColumnDrift | undefined> {
  const result = (await knex.raw(
    `select e.seq, ${DRIFTED} as columns
       from ledger_events e cross join lateral (select e.body::jsonb as b) parsed
      where e.seq between ? and ? and ${ANY_DRIFT}
      order by e.seq limit 1`,
    [from, to],
  )) as { rows: Array<{ seq: number; columns: string }> };
  const row = result.rows[0];
  return row && { seq: Number(row.seq), columns: row.columns.split(',') };
}
