import type { Knex } from 'knex';
import { lockedHead } from './lock.ts';
import { stagedEvents, takeStatement } from './outbox.ts';
import { appendInOwnTransaction } from './own-transaction.ts';
import {
  GENESIS_HASH,
  chainHash,
  encodeBody,
  eventFromStored,
  type ChainedBatch,
  type Head,
  type ChainInput,
  type LedgerEvent,
  type StoredEvent,
} from './chain.ts';
import type { LedgerEventInput } from './events.ts';
import { committed } from './commitments.ts';

/*
 * The verification ledger: append-only `ledger_events` (the database refuses UPDATE, DELETE and TRUNCATE),
 * each row hash-chained to the previous one (chain.ts has the formula).
 *
 * Three ways in, one chain: an append inside the caller's transaction is serialised (it commits or rolls
 * back with the caller's other writes); an append on its own joins a group commit, which chains every
 * append waiting in this process in one transaction; an event staged in the caller's transaction
 * (outbox.ts) is chained after that commit by `chainStaged`, many to a transaction, so state changes do
 * not queue behind the ledger's lock. All take the same lock, so any number of instances on one database
 * keep one gapless chain.
 *
 * Privacy: `data` holds ids, states, vendor references, normalised scores, thresholds, reasons and policy
 * hashes. Never images, biometric templates or raw vendor payloads: the ledger cannot forget anything.
 */

export { GENESIS_HASH, type LedgerEvent } from './chain.ts';
export type { LedgerEventInput, LedgerEventType } from './events.ts';
export { verifyChain, type ChainProblem, type ChainReport } from './verify.ts';
export { recordedOrStaged, stageEvent, stageWithChange } from './outbox.ts';

const TABLE = 'ledger_events';

// Rows per group-commit transaction: bounds the transaction and the lock hold time.
const MAX_BATCH = 1000;

/**
 * Appends one event, chained to the current head. Pass the caller's transaction when the event must commit
 * or roll back with other writes; given a plain Knex it joins a group commit. Take no other locks after
 * calling this in a transaction: the ledger lock is held until commit and must come last to avoid deadlocks.
 */
export async function appendEvent(knex: Knex | Knex.Transaction, input: LedgerEventInput): Promise<LedgerEvent> {
  const event = await committed(knex, input);
  if (!knex.isTransaction) return groupCommitFor(knex).append(event);
  const [result] = await writeBatch(knex as Knex.Transaction, [event]);
  if (result instanceof Error) throw result;
  return result!;
}

/**
 * Chains every event staged in the outbox and committed by now, in staging order, by this instance's group
 * commit; resolves with those this call chained, by outbox id (an event missing there was chained by
 * another drain, possibly another instance's). Called after the commit that staged an event, and as the
 * sweeper that chains what a crashed process left staged.
 */
export function chainStaged(knex: Knex): Promise<Map<number, LedgerEvent>> {
  if (knex.isTransaction) throw new TypeError('chainStaged needs a Knex, not a transaction: staged events are chained after their commit');
  return groupCommitFor(knex).chainStaged();
}

/** One event by its sequence number. */
export async function findLedgerEvent(knex: Knex | Knex.Transaction, seq: number): Promise<LedgerEvent | undefined> {
  const row = (await knex(TABLE).where({ seq }).first('seq', 'body', 'prev_hash', 'hash')) as StoredEvent | undefined;
  return row && eventFromStored(row);
}

/**
 * Chains `events` after the head in one insert. An event canonical JSON cannot encode gets its TypeError in
 * its place and takes no seq; the others are written.
 */
async function writeBatch(trx: Knex.Transaction, events: ChainInput[]): Promise<Array<LedgerEvent | Error>> {
  // One writer at a time: seq and prev_hash come from the head. Readers are not blocked.
  return insertChained(trx, chainAfter(await lockedHead<Head>(trx, TABLE, 'seq, hash'), events));
}

/** Takes up to MAX_BATCH staged events out of the outbox and chains them after the head, under the lock. */
async function writeStaged(trx: Knex.Transaction): Promise<Array<[number, LedgerEvent]>> {
  const head = await lockedHead<Head>(trx, TABLE, 'seq, hash');
  const taken = ((await trx.raw(takeStatement(MAX_BATCH))) as { rows: unknown[] }).rows;
  const batch = chainStagedAfter(head, taken);
  await insertChained(trx, { rows: batch.rows, results: [] });
  return batch.results;
}

// Staged text was encoded once when staged, so an error here is a bug: it rolls the batch back (the
// events stay staged) rather than lose the event it concerns.
function chainStagedAfter(head: Head, taken: unknown[]): { rows: StoredEvent[]; results: Array<[number, LedgerEvent]> } {
  const staged = stagedEvents(taken as Array<{ id: number; event: string }>);
  const { rows, results } = chainAfter(
    head,
    staged.map((s) => s.event),
  );
  return {
    rows,
    results: staged.map((s, i) => {
      const result = results[i]!;
      if (result instanceof Error) throw result;
      return [s.id, result];
    }),
  };
}

async function insertChained(trx: Knex.Transaction, { rows, results }: ChainedBatch): Promise<Array<LedgerEvent | Error>> {
  // Four array parameters whatever the batch size: cheaper to build and to parse than a VALUES list.
  if (rows.length > 0) {
    await trx.raw(`insert into ${TABLE} (seq, body, prev_hash, hash) select * from unnest(?::bigint[], ?::text[], ?::text[], ?::text[])`, [
      rows.map((r) => r.seq),
      rows.map((r) => r.body),
      rows.map((r) => r.prev_hash),
      rows.map((r) => r.hash),
    ]);
  }
  return results;
}

// seq is head + 1 rather than a sequence, which would leave gaps (rolled-back appends) that look like deletions.
function chainAfter(head: Head, events: ChainInput[]): ChainedBatch {
  let seq = Number(head?.seq ?? 0);
  let prevHash = head?.hash ?? GENESIS_HASH;
  // Defaulting the time under the lock keeps defaulted times in seq order. JS dates have millisecond
  // precision and the body keeps exactly that, so the stored text is what was hashed.
  const now = new Date();
  const rows: StoredEvent[] = [];
  const results = events.map((input): LedgerEvent | Error => {
    const unsigned = {
      seq: seq + 1,
      at: new Date((input.at ?? now).getTime()),
      type: input.type,
      verificationId: input.verificationId ?? null,
      accountId: input.accountId ?? null,
      clientId: input.clientId ?? null,
      acr: input.acr ?? null,
      vendor: input.vendor ?? null,
      data: input.data,
    };
    let body: string;
    try {
      body = encodeBody(unsigned);
    } catch (error) {
      return error as Error;
    }
    const stored = { ...unsigned, prevHash, hash: chainHash(prevHash, body) };
    rows.push({ seq: stored.seq, body, prev_hash: prevHash, hash: stored.hash });
    seq = stored.seq;
    prevHash = stored.hash;
    return stored;
  });
  return { rows, results };
}

interface Waiting {
  event: ChainInput;
  resolve(event: LedgerEvent): void;
  reject(error: unknown): void;
}

interface Flush {
  resolve(chained: Map<number, LedgerEvent>): void;
  reject(error: unknown): void;
}

/**
 * Group commit: appends and staged-event flushes arriving while a batch is being written wait and go
 * together in the next one, so the lock and the commit's WAL flush are paid once per batch instead of once
 * per event. Staged events and direct appends are chained in transactions of their own, so a direct append
 * never fails because of a staged row, nor the other way round.
 */
class GroupCommit {
  readonly #knex: Knex;
  #waiting: Waiting[] = [];
  #flushes: Flush[] = [];
  #draining = false;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  append(event: ChainInput): Promise<LedgerEvent> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ event, resolve, reject });
      this.#start();
    });
  }

  chainStaged(): Promise<Map<number, LedgerEvent>> {
    return new Promise((resolve, reject) => {
      this.#flushes.push({ resolve, reject });
      this.#start();
    });
  }

  #start(): void {
    if (this.#draining) return;
    this.#draining = true;
    // Requests issued in the same turn of the event loop share the first batch.
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0 || this.#flushes.length > 0) {
      if (this.#flushes.length > 0) await this.#drainStaged(this.#flushes.splice(0));
      if (this.#waiting.length > 0) await this.#drainWaiting(this.#waiting.splice(0, MAX_BATCH));
    }
    this.#draining = false;
  }

  // Every flush waiting was asked for after its event committed, so a pass that starts now sees it, unless
  // another drain has already chained it.
  async #drainStaged(flushes: Flush[]): Promise<void> {
    try {
      const chained = new Map<number, LedgerEvent>();
      for (let taken = MAX_BATCH; taken === MAX_BATCH;) {
        const results = await this.#inTransaction(takeStatement(MAX_BATCH), chainStagedAfter, writeStaged);
        taken = results.length;
        for (const [id, event] of results) chained.set(id, event);
      }
      for (const f of flushes) f.resolve(chained);
    } catch (error) {
      for (const f of flushes) f.reject(error);
    }
  }

  async #drainWaiting(batch: Waiting[]): Promise<void> {
    try {
      const events = batch.map((w) => w.event);
      const results = await this.#inTransaction(
        undefined,
        (head) => chainAfter(head, events),
        (trx) => writeBatch(trx, events),
      );
      results.forEach((result, i) => (result instanceof Error ? batch[i]!.reject(result) : batch[i]!.resolve(result)));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  // PostgreSQL: two round trips (own-transaction.ts); PGlite, a process of its own, through knex.
  #inTransaction<R>(
    take: string | undefined,
    chain: (head: Head, taken: unknown[]) => { rows: StoredEvent[]; results: R[] },
    viaKnex: (trx: Knex.Transaction) => Promise<R[]>,
  ): Promise<R[]> {
    return (this.#knex.client as Knex.Client).config.client === 'pg'
      ? appendInOwnTransaction(this.#knex, TABLE, chain, take)
      : this.#knex.transaction(viaKnex);
  }
}

const groupCommits = new WeakMap<Knex, GroupCommit>();

function groupCommitFor(knex: Knex): GroupCommit {
  let group = groupCommits.get(knex);
  if (!group) groupCommits.set(knex, (group = new GroupCommit(knex)));
  return group;
}
