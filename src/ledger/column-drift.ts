import type { Knex } from 'knex';

/** The first row whose query columns disagree with its hashed body, and which columns do. */
export interface ColumnDrift {
  seq: number;
  columns: string[];
}

// Each query column and the body's key it is filled from by the trigger of migration 20261122000003.
const COLUMNS: Array<[column: string, key: string, type: string]> = [
  ['at', 'at', 'timestamptz'],
  ['type', 'type', 'text'],
  ['verification_id', 'verificationId', 'text'],
  ['account_id', 'accountId', 'text'],
  ['client_id', 'clientId', 'text'],
  ['acr', 'acr', 'text'],
  ['vendor', 'vendor', 'text'],
  ['data', 'data', 'jsonb'],
];

// jsonb_to_record parses each body once and extracts every key in the same pass (a lateral `body::jsonb` is
// parsed again for each reference once the planner inlines it: several times slower on a million rows).
const FROM_BODY = `ledger_events e, jsonb_to_record(e.body::jsonb) as b(${COLUMNS.map(([, key, type]) => `"${key}" ${type}`).join(', ')})`;
const DRIFTED = COLUMNS.map(([column, key]) => `e.${column} is distinct from b."${key}"`);

/**
 * Finds the first row in [from, to] whose columns say something its body does not. The trigger keeps them
 * equal; they differ only when a row was changed with triggers disabled, and queries and indexes would then
 * answer from values the hash chain does not cover. One scan (`min`, so PostgreSQL may split it between
 * parallel workers), then the columns of that one row.
 */
export async function firstColumnDrift(knex: Knex | Knex.Transaction, from: number, to: number): Promise<ColumnDrift | undefined> {
  const first = (await knex.raw(`select min(e.seq) as seq from ${FROM_BODY} where e.seq between ? and ? and (${DRIFTED.join(' or ')})`, [
    from,
    to,
  ])) as { rows: Array<{ seq: number | null }> };
  const seq = first.rows[0]?.seq;
  if (seq === null || seq === undefined) return undefined;
  const which = (await knex.raw(`select ${DRIFTED.map((d, i) => `${d} as "${i}"`).join(', ')} from ${FROM_BODY} where e.seq = ?`, [
    seq,
  ])) as { rows: Array<Record<string, boolean>> };
  return { seq: Number(seq), columns: COLUMNS.filter((_, i) => which.rows[0]![i]).map(([column]) => column) };
}
