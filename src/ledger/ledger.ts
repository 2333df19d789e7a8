import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { canonicalJson } from './canonical.ts';
import { inTransaction } from '../db/transaction.ts';

/*
 * The verification ledger: append-only `ledger_events` (the database refuses UPDATE, DELETE and TRUNCATE),
 * each row hash-chained to the previous one.
 *
 *   hash = sha256hex(prev_hash + "\n" + canonicalJson({seq, at, type, verificationId, accountId, clientId,
 *                                                      acr, vendor, data}))
 *
 * with `at` as an ISO 8601 UTC string with milliseconds, absent fields as null, and prev_hash of seq 1 = 64 zeros.
 *
 * Privacy: `data` holds ids, states, vendor references, normalised scores, thresholds, reasons and policy
 * hashes. Never images, biometric templates or raw vendor payloads: the ledger cannot forget anything.
 */

const TABLE = 'ledger_events';

/** prev_hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

const PAGE_SIZE = 5000;

/** What a caller records; the ledger adds seq, hashes and (by default) the time. */
export interface LedgerEventInput {
  type: string;
  verificationId?: string;
  accountId?: string;
  clientId?: string;
  acr?: string;
  vendor?: string;
  data: Record<string, unknown>;
  at?: Date;
}

/** One stored ledger row. */
export interface LedgerEvent {
  seq: number;
  at: Date;
  type: string;
  verificationId: string | null;
  accountId: string | null;
  clientId: string | null;
  acr: string | null;
  vendor: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

interface LedgerRow {
  seq: number;
  at: Date;
  type: string;
  verification_id: string | null;
  account_id: string | null;
  client_id: string | null;
  acr: string | null;
  vendor: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

/**
 * Appends one event, chained to the current head. Pass the caller's transaction when the event must commit
 * or roll back with other writes; given a plain Knex it opens its own. Take no other locks after calling
 * this in a transaction: the ledger lock is held until commit and must come last to avoid deadlocks.
 */
export async function appendEvent(knex: Knex | Knex.Transaction, event: LedgerEventInput): Promise<LedgerEvent> {
  return inTransaction(knex, async (trx) => {
    // One appender at a time: seq and prev_hash come from the head. EXCLUSIVE still lets readers through.
    // seq is head + 1 rather than a sequence, which would leave gaps (rolled-back appends) that look like deletions.
    await trx.raw(`lock table ${TABLE} in exclusive mode`);
    // Defaulting the time under the lock keeps `at` in seq order. JS dates have millisecond precision and
    // timestamptz keeps microseconds, so `at` reads back identical and the hash can be recomputed.
    const at = new Date((event.at ?? new Date()).getTime());
    const head = (await trx(TABLE).select('seq', 'hash').orderBy('seq', 'desc').first()) as
      | Pick<LedgerRow, 'seq' | 'hash'>
      | undefined;
    const unsigned: Omit<LedgerEvent, 'hash'> = {
      seq: Number(head?.seq ?? 0) + 1,
      at,
      type: event.type,
      verificationId: event.verificationId ?? null,
      accountId: event.accountId ?? null,
      clientId: event.clientId ?? null,
      acr: event.acr ?? null,
      vendor: event.vendor ?? null,
      data: event.data,
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const stored: LedgerEvent = { ...unsigned, hash: eventHash(unsigned) };
    await trx(TABLE).insert({
      seq: stored.seq,
      at: stored.at,
      type: stored.type,
      verification_id: stored.verificationId,
      account_id: stored.accountId,
      client_id: stored.clientId,
      acr: stored.acr,
      vendor: stored.vendor,
      data: JSON.stringify(stored.data),
      prev_hash: stored.prevHash,
      hash: stored.hash,
    });
    return stored;
  });
}

/** The hash a row must carry, from its content and its prev_hash. */
function eventHash(e: Omit<LedgerEvent, 'hash'>): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at.toISOString(),
    type: e.type,
    verificationId: e.verificationId,
    accountId: e.accountId,
    clientId: e.clientId,
    acr: e.acr,
    vendor: e.vendor,
    data: e.data,
  });
  return createHash('sha256').update(`${e.prevHash}\n${body}`).digest('hex');
}

/**
 * What is wrong at the first bad row:
 * - `missing`: a seq number is absent (a deleted row); `seq` is the first absent number.
 * - `altered`: the row still links to its predecessor but its hash no longer matches its content.
 * - `broken_link`: the row's hash matches its content but its prev_hash is not the predecessor's hash:
 *   the predecessor was rewritten and re-hashed, or this row was re-hashed onto another chain.
 * - `reordered`: neither matches: the row sits at a seq it was not written at (rows swapped or renumbered),
 *   or its prev_hash column was overwritten.
 */
export type ChainProblem = 'altered' | 'missing' | 'reordered' | 'broken_link';

/** Outcome of verifyChain; `checked` counts the rows found intact. */
export type ChainReport =
  | { ok: true; checked: number; headSeq: number; headHash: string }
  | { ok: false; checked: number; seq: number; problem: ChainProblem; message: string };

/**
 * Recomputes every hash and link in seq order, stopping at the first problem. `from` starts at that seq,
 * trusting the row before it (e.g. one covered by a signed checkpoint). Rows deleted from the end of the
 * ledger leave a valid shorter chain: only comparing the head with a checkpoint reveals those.
 */
export async function verifyChain(knex: Knex | Knex.Transaction, options: { from?: number } = {}): Promise<ChainReport> {
  let expectedSeq = Math.max(options.from ?? 1, 1);
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const fail = (seq: number, problem: ChainProblem, message: string): ChainReport => ({
    ok: false,
    checked,
    seq,
    problem,
    message,
  });

  if (expectedSeq > 1) {
    const anchor = (await knex(TABLE).select('hash').where('seq', expectedSeq - 1).first()) as
      | Pick<LedgerRow, 'hash'>
      | undefined;
    if (!anchor) return fail(expectedSeq - 1, 'missing', `seq ${expectedSeq - 1}, the row before ${expectedSeq}, does not exist`);
    prevHash = anchor.hash;
  }

  for (;;) {
    // Keyset pagination: each page starts where the last ended, so the cost per page stays flat.
    // seq is int8: the `pg` driver gives strings unless told otherwise; the hash covers it as a number.
    const rows = ((await knex(TABLE).select('*').where('seq', '>=', expectedSeq).orderBy('seq').limit(PAGE_SIZE)) as LedgerRow[]).map(
      (row) => ({ ...row, seq: Number(row.seq) }),
    );
    for (const row of rows) {
      if (row.seq !== expectedSeq) {
        const range = row.seq - 1 === expectedSeq ? `seq ${expectedSeq} is` : `seq ${expectedSeq}–${row.seq - 1} are`;
        return fail(expectedSeq, 'missing', `${range} missing (the next row is seq ${row.seq})`);
      }
      const contentIntact = eventHash(fromRow(row)) === row.hash;
      const linked = row.prev_hash === prevHash;
      if (!contentIntact || !linked) {
        const predecessor = row.seq === 1 ? 'the genesis hash' : `the hash of seq ${row.seq - 1}`;
        if (linked) return fail(row.seq, 'altered', `seq ${row.seq}: the stored hash does not match the row's content`);
        if (contentIntact) {
          return fail(row.seq, 'broken_link', `seq ${row.seq}: prev_hash is not ${predecessor} although the row's own hash matches`);
        }
        return fail(row.seq, 'reordered', `seq ${row.seq}: the hash does not match the row's content and prev_hash is not ${predecessor}: the row was moved here or relinked`);
      }
      checked++;
      prevHash = row.hash;
      expectedSeq++;
    }
    if (rows.length < PAGE_SIZE) return { ok: true, checked, headSeq: expectedSeq - 1, headHash: prevHash };
  }
}

/** One event by its sequence number. */
export async function findLedgerEvent(knex: Knex | Knex.Transaction, seq: number): Promise<LedgerEvent | undefined> {
  const row = (await knex('ledger_events').where({ seq }).first()) as LedgerRow | undefined;
  return row && fromRow(row);
}

function fromRow(row: LedgerRow): LedgerEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    type: row.type,
    verificationId: row.verification_id,
    accountId: row.account_id,
    clientId: row.client_id,
    acr: row.acr,
    vendor: row.vendor,
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

