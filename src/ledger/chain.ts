import { hash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';

/*
 * The chain every ledger row belongs to:
 *
 *   body = canonicalJson({seq, at, type, verificationId, accountId, clientId, acr, vendor, data})
 *   hash = sha256hex(prev_hash + "\n" + body)
 *
 * with `at` as an ISO 8601 UTC string with milliseconds, absent fields as null, and prev_hash of seq 1 =
 * 64 zeros. `body` is stored as written, so a verifier hashes stored bytes and any JCS implementation can
 * recompute it from the fields.
 */

/** prev_hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Who and what an event is about, and when; the same for every type. */
export interface EventEnvelope {
  verificationId?: string;
  accountId?: string;
  clientId?: string;
  acr?: string;
  vendor?: string;
  /** When it happened; writers that take an injected clock pass it, others get the time the row is chained. */
  at?: Date;
}

/** What the chain writes, whatever its type (writers use the closed catalogue of events.ts). */
export type ChainInput = { type: string; data: Record<string, unknown> } & EventEnvelope;

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

/** The stored columns a ledger row is rebuilt and verified from. */
export interface StoredEvent {
  seq: number;
  body: string;
  prev_hash: string;
  hash: string;
}

/** The canonical text of an event's hashed fields; throws a TypeError naming what JSON cannot hold. */
export function encodeBody(e: Omit<LedgerEvent, 'prevHash' | 'hash'>): string {
  return canonicalJson({
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
}

/** The hash a row with this body must carry after `prevHash`. */
export function chainHash(prevHash: string, body: string): string {
  return hash('sha256', `${prevHash}\n${body}`, 'hex');
}

/** A stored row as an event, read from its hashed body (never from the derived columns). */
export function eventFromStored(row: StoredEvent): LedgerEvent {
  const body = JSON.parse(row.body) as Omit<LedgerEvent, 'at' | 'prevHash' | 'hash'> & { at: string };
  return {
    seq: Number(row.seq),
    at: new Date(body.at),
    type: body.type,
    verificationId: body.verificationId,
    accountId: body.accountId,
    clientId: body.clientId,
    acr: body.acr,
    vendor: body.vendor,
    data: body.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The head a batch is chained to: none for an empty ledger. */
export type Head = Pick<StoredEvent, 'seq' | 'hash'> | undefined;

/** A batch chained after a head: the rows to insert, and per event its stored form or why it could not be. */
export interface ChainedBatch {
  rows: StoredEvent[];
  results: Array<LedgerEvent | Error>;
}
