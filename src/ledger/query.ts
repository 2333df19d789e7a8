import type { Knex } from 'knex';
import { QUERY_TIMEOUT_MS } from '../db/connect.ts';
import { StepUpError } from '../errors.ts';
import { eventFromStored, type LedgerEvent, type StoredEvent } from './chain.ts';
import { whereAccount } from './commitments.ts';

/** Which events an auditor asks for; every field narrows the result. */
export interface EventFilter {
  /** An account id: matches its rows by their commitment (and the plain id of rows from before commitments). */
  account?: string;
  client?: string;
  acr?: string;
  vendor?: string;
  /** `granted` / `denied`: the step-up decisions (`stepup.granted` / `stepup.denied` events). */
  decision?: 'granted' | 'denied';
  type?: string;
  /** The verification id, which tokens carry as `txn`. */
  verification?: string;
  /** Inclusive lower bound of `at`. */
  from?: Date;
  /** Exclusive upper bound of `at`. */
  to?: Date;
}

/** One page of events in seq order, and the cursor of the next page when there may be one. */
export interface EventPage {
  events: LedgerEvent[];
  nextCursor: number | undefined;
}

/** Events matching `filter` after seq `after` (keyset pagination: each page costs the same). */
export async function queryEvents(knex: Knex, filter: EventFilter, page: { limit: number; after?: number }): Promise<EventPage> {
  const rows = await bounded(knex, (trx) =>
    filtered(trx, filter)
      .where('seq', '>', page.after ?? 0)
      .orderBy('seq')
      .limit(page.limit + 1)
      .select('seq', 'body', 'prev_hash', 'hash'),
  );
  const more = rows.length > page.limit;
  const events = rows.slice(0, page.limit).map(eventFromStored);
  return { events, nextCursor: more ? events[events.length - 1]!.seq : undefined };
}

/** Every event matching `filter`, a page at a time, in seq order: memory stays bounded whatever the size. */
export async function* eventPages(knex: Knex, filter: EventFilter, pageSize = 5000): AsyncGenerator<LedgerEvent[]> {
  let after: number | undefined;
  do {
    const page = await queryEvents(knex, filter, { limit: pageSize, after });
    if (page.events.length > 0) yield page.events;
    after = page.nextCursor;
  } while (after !== undefined);
}

/** How many events match `filter` (for progress reporting). */
export async function countEvents(knex: Knex, filter: EventFilter): Promise<number> {
  const [row] = await bounded(knex, (trx) => filtered(trx, filter).count<Array<{ n: number | string }>>({ n: '*' }));
  return Number(row?.n ?? 0);
}

/** The seq of the newest event, 0 for an empty ledger. */
export async function ledgerHeadSeq(knex: Knex): Promise<number> {
  const head = (await knex('ledger_events').max({ seq: 'seq' }).first()) as { seq: number | string | null } | undefined;
  return Number(head?.seq ?? 0);
}

/** The stored rows of one verification, oldest first, with the text each hash covers. */
export async function verificationTrail(knex: Knex, verificationId: string): Promise<StoredEvent[]> {
  const rows = (await knex('ledger_events')
    .where('verification_id', verificationId)
    .orderBy('seq')
    .limit(1000)
    .select('seq', 'body', 'prev_hash', 'hash')) as StoredEvent[];
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** The decision (`stepup.granted` or `stepup.denied`) recorded for a verification, if there is one. */
export async function findDecision(knex: Knex | Knex.Transaction, verificationId: string): Promise<LedgerEvent | undefined> {
  const row = (await knex('ledger_events')
    .where({ verification_id: verificationId })
    .whereIn('type', ['stepup.granted', 'stepup.denied'])
    .first('seq', 'body', 'prev_hash', 'hash')) as StoredEvent | undefined;
  return row && eventFromStored(row);
}

function filtered(knex: Knex | Knex.Transaction, f: EventFilter): Knex.QueryBuilder {
  const q = knex('ledger_events');
  if (f.account !== undefined) whereAccount(q, f.account);
  if (f.client !== undefined) q.where('client_id', f.client);
  if (f.acr !== undefined) q.where('acr', f.acr);
  if (f.vendor !== undefined) q.where('vendor', f.vendor);
  if (f.decision !== undefined) q.where('type', `stepup.${f.decision}`);
  if (f.type !== undefined) q.where('type', f.type);
  if (f.verification !== undefined) q.where('verification_id', f.verification);
  if (f.from !== undefined) q.where('at', '>=', f.from);
  if (f.to !== undefined) q.where('at', '<', f.to);
  return q;
}

// A query that cannot use an index selective enough (a rare vendor over the whole ledger) is cut off
// instead of scanning for as long as it takes. Database.queries cuts off every statement, in one round
// trip; any other handle sets the timeout for a transaction around the query (three more).
/** Runs `query` under the auditors' statement timeout; a query cut off becomes a StepUpError('bad_request') asking to narrow it. */
export async function bounded<T>(knex: Knex, query: (knex: Knex | Knex.Transaction) => PromiseLike<T>): Promise<T> {
  try {
    const connection = (knex.client as Knex.Client).config.connection as { statement_timeout?: number } | string | undefined;
    if (typeof connection === 'object' && connection.statement_timeout === QUERY_TIMEOUT_MS) return await query(knex);
    return await knex.transaction(async (trx) => {
      await trx.raw(`set local statement_timeout = ${QUERY_TIMEOUT_MS}`);
      return query(trx);
    });
  } catch (error) {
    if ((error as { code?: string }).code === '57014') {
      throw new StepUpError('bad_request', 'the query is too broad to answer quickly: narrow it with account, client, txn or a time range');
    }
    throw error;
  }
}
