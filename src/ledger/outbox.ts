import type { Knex } from 'knex';
import { canonicalJson } from './canonical.ts';
import type { ChainInput } from './chain.ts';
import { committed } from './commitments.ts';
import type { LedgerEventInput } from './events.ts';

/*
 * Staged events: a state change writes its ledger event into `ledger_outbox` inside its own transaction (a
 * plain insert, no ledger lock), so the event commits or rolls back with the change it records. After the
 * commit the group commit chains every staged row, in staging order, and deletes it in the same transaction
 * (ledger.ts, `chainStaged`); whatever a crashed process left behind is chained by the next drain of any
 * instance. Staging order is the order of commits for one verification (its row lock serialises its
 * changes), so each verification's events reach the chain in the order they happened.
 */

const OUTBOX = 'ledger_outbox';

/** A staged event as the drain reads it back, with its place in the outbox. */
export interface StagedEvent {
  id: number;
  event: ChainInput;
}

/**
 * Stages `event` in the caller's transaction; returns its outbox id. Throws a TypeError naming what
 * canonical JSON cannot encode, so nothing unchainable is ever staged. An absent `at` is the time of staging.
 */
export async function stageEvent(trx: Knex.Transaction, event: LedgerEventInput): Promise<number> {
  const [row] = (await trx(OUTBOX).insert(stagedRow(await committed(trx, event)), ['id'])) as Array<{ id: number | string }>;
  return Number(row!.id);
}

/**
 * Runs `change` (an UPDATE … RETURNING) and stages `event` in the same statement, staged only when `change`
 * returns rows: one atomic statement, so a change and its event commit together without a transaction
 * around them. Returns the rows of `change`.
 */
export async function stageWithChange<Row>(
  knex: Knex | Knex.Transaction,
  event: LedgerEventInput,
  change: Knex.QueryBuilder,
): Promise<Row[]> {
  const row = stagedRow(await committed(knex, event));
  return (await knex
    .with('change', change)
    .with(
      'staged',
      knex.raw(`insert into ${OUTBOX} (event, verification_id, type) select ?, ?, ? where exists (select 1 from change)`, [
        row.event,
        row.verification_id,
        row.type,
      ]),
    )
    .select('*')
    .from('change')) as Row[];
}

/** Whether an event of one of `types` about a verification is in the chain or staged for it. */
export async function recordedOrStaged(knex: Knex | Knex.Transaction, verificationId: string, types: string[]): Promise<boolean> {
  const about = (table: string) => knex(table).where({ verification_id: verificationId }).whereIn('type', types).select(knex.raw('1'));
  const [row] = (await about('ledger_events').unionAll(about(OUTBOX)).limit(1)) as unknown[];
  return row !== undefined;
}

/** The statement that takes up to `limit` staged events, oldest first, out of the outbox (run under the ledger lock). */
export function takeStatement(limit: number): string {
  return `delete from ${OUTBOX} where id in (select id from ${OUTBOX} order by id limit ${Math.trunc(limit)}) returning id, event`;
}

/** The rows `takeStatement` returned, in staging order (RETURNING has none of its own). */
export function stagedEvents(rows: Array<{ id: number | string; event: string }>): StagedEvent[] {
  return rows
    .map((row) => {
      const { at, ...rest } = JSON.parse(row.event) as Omit<ChainInput, 'at'> & { at: string };
      return { id: Number(row.id), event: { ...rest, at: new Date(at) } };
    })
    .sort((a, b) => a.id - b.id);
}

// The outbox row of an event whose account and subjects are already commitments (commitments.ts): the outbox
// is chained as staged, and never holds an account id. Its canonical text validates it; the columns are those
// writers look it up by.
function stagedRow(event: LedgerEventInput): { event: string; verification_id: string | null; type: string } {
  const text = canonicalJson({
    type: event.type,
    at: (event.at ?? new Date()).toISOString(),
    verificationId: event.verificationId ?? null,
    accountId: event.accountId ?? null,
    clientId: event.clientId ?? null,
    acr: event.acr ?? null,
    vendor: event.vendor ?? null,
    data: event.data,
  });
  return { event: text, verification_id: event.verificationId ?? null, type: event.type };
}
