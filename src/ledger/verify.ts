import type { JWK } from 'jose';
import type { Knex } from 'knex';
import { hash } from 'node:crypto';
import { GENESIS_HASH, chainHash } from './chain.ts';
import { chainRows, hashInput, storedBody, storedHash, storedPrevHash } from './chain-rows.ts';
import { checkCheckpoint, checkpointsBetween, findCheckpoint, importKeys } from './checkpoints.ts';
import { firstColumnDrift } from './column-drift.ts';
import { ledgerPublicKeys } from './ledger-key.ts';

/**
 * What is wrong at the first bad row:
 * - `missing`: a seq number is absent (a deleted row), or the ledger ends before a signed checkpoint's head.
 * - `altered`: the row still links to its predecessor but its hash no longer matches its content.
 * - `broken_link`: the row's hash matches its content but its prev_hash is not the predecessor's hash:
 *   the predecessor was rewritten and re-hashed, or this row was re-hashed onto another chain.
 * - `reordered`: neither matches: the row sits at a seq it was not written at (rows swapped or renumbered),
 *   or its prev_hash column was overwritten.
 * - `bad_signature`: a checkpoint's JWS does not verify with a ledger key, or its stored seq and hash are
 *   not the signed ones (a forged or edited checkpoint).
 * - `checkpoint_mismatch`: the chain is consistent but its hash at a checkpoint is not the signed one: rows
 *   up to it were rewritten and the whole chain re-hashed after the checkpoint was signed.
 * - `column_drift`: the row's hash and links are intact but a query column (`account_id`, `at`, …) no longer
 *   says what its hashed body says: it was changed with the ledger's triggers disabled.
 */
export type ChainProblem = 'altered' | 'missing' | 'reordered' | 'broken_link' | 'bad_signature' | 'checkpoint_mismatch' | 'column_drift';

/** Outcome of verifyChain; `checked` counts the rows found intact, `checkpoints` the signatures verified. */
export type ChainReport =
  | { ok: true; checked: number; headSeq: number; headHash: string; checkpoints: number }
  | { ok: false; checked: number; seq: number; problem: ChainProblem; message: string };

/** Which part of the ledger to verify, and with which public keys. */
export interface VerifyOptions {
  /** First seq to check; the row before it is trusted (e.g. one covered by a signed checkpoint). */
  from?: number;
  /** Last seq to check (a proof segment); default: the head. */
  to?: number;
  /** Checkpoint public keys; default: those recorded in `ledger_keys`. Pin them to trust less of the database. */
  keys?: JWK[];
  /** Called with the number of rows found intact since the last call, every few thousand rows. */
  onProgress?: (checked: number) => void;
}

// Rows per COPY. Each streams in bounded memory, so the size only bounds what is drained after a verdict
// and how many checkpoints are loaded at once.
const RANGE = 100_000;

/**
 * Recomputes every hash and link in seq order and checks every checkpoint on the way, and checks that every
 * row's query columns agree with its hashed body; reports the first problem by seq. Rows deleted from the
 * end of the ledger leave a valid shorter chain unless a checkpoint signed a longer one: checkpoint often.
 */
export async function verifyChain(knex: Knex | Knex.Transaction, options: VerifyOptions = {}): Promise<ChainReport> {
  const from = Math.max(options.from ?? 1, 1);
  const to = options.to ?? Number.MAX_SAFE_INTEGER;
  // On a pool the column check runs on a second connection while the chain streams on the first, so
  // PostgreSQL parses bodies while Node hashes them; a transaction has one connection, so it waits its turn.
  // Its error is only looked at if the chain is intact: a body rewritten into invalid JSON breaks the chain
  // first.
  const columnsAlongside = knex.isTransaction ? undefined : settle(firstColumnDrift(knex, from, to));
  const chain = await verifyHashes(knex, from, to, options);
  const lastChecked = chain.ok ? to : chain.seq - 1;
  const drift = columnsAlongside
    ? await columnsAlongside
    : lastChecked >= from
      ? await settle(firstColumnDrift(knex, from, lastChecked))
      : undefined;
  if (drift?.ok === false && chain.ok) throw drift.error;
  const found = drift?.ok ? drift.value : undefined;
  if (!found || (!chain.ok && chain.seq <= found.seq)) return chain;
  return {
    ok: false,
    checked: found.seq - from,
    seq: found.seq,
    problem: 'column_drift',
    message: `seq ${found.seq}: ${found.columns.join(', ')} ${found.columns.length > 1 ? 'do' : 'does'} not say what the hashed body says (changed with the ledger's triggers disabled)`,
  };
}

function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

async function verifyHashes(knex: Knex | Knex.Transaction, from: number, to: number, options: VerifyOptions): Promise<ChainReport> {
  let expectedSeq = from;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let signed = 0;
  let lastSigned: number | undefined;
  const fail = (seq: number, problem: ChainProblem, message: string): ChainReport => ({ ok: false, checked, seq, problem, message });

  if (from > 1) {
    const anchor = (await knex('ledger_events')
      .select('hash')
      .where('seq', from - 1)
      .first()) as { hash: string } | undefined;
    if (!anchor) return fail(from - 1, 'missing', `seq ${from - 1}, the row before ${from}, does not exist`);
    prevHash = anchor.hash;
  }
  const keys = await importKeys(options.keys ?? (await ledgerPublicKeys(knex)));

  for (let start = from; start <= to;) {
    // Loaded before the COPY starts: inside a transaction both share one connection, which the COPY holds
    // until it is drained.
    const checkpoints = await checkpointsBetween(knex, start, Math.min(start + RANGE - 1, to));
    let rowsInRange = 0;
    for await (const rows of chainRows(knex, start, to, RANGE)) {
      const { seqs } = rows;
      rowsInRange += seqs.length;
      for (let i = 0; i < seqs.length; i++) {
        const seq = seqs[i]!;
        if (seq !== expectedSeq) {
          return fail(
            expectedSeq,
            'missing',
            `${seq - 1 === expectedSeq ? `seq ${expectedSeq} is` : `seq ${expectedSeq}–${seq - 1} are`} missing (the next row is seq ${seq})`,
          );
        }
        const rowHash = storedHash(rows, i);
        // The hash covers the stored prev_hash; comparing that with the predecessor's hash checks the link.
        if (hash('sha256', hashInput(rows, i), 'hex') !== rowHash || storedPrevHash(rows, i) !== prevHash) {
          const { problem, message } = classify(seq, prevHash, storedPrevHash(rows, i), rowHash, storedBody(rows, i));
          return fail(seq, problem, message);
        }
        checked++;
        prevHash = rowHash;
        expectedSeq++;
        if (checkpoints[0]?.seq !== seq) continue;
        const claims = await checkCheckpoint(checkpoints.shift()!, keys);
        if (typeof claims === 'string') return fail(seq, 'bad_signature', claims);
        if (claims.hash !== rowHash) {
          const since = lastSigned === undefined ? 'the start' : `checkpoint ${lastSigned}`;
          return fail(
            seq,
            'checkpoint_mismatch',
            `seq ${seq}: the chain's hash is not the one checkpoint ${seq} signed: rows between ${since} and seq ${seq} were rewritten and re-hashed`,
          );
        }
        signed++;
        lastSigned = seq;
      }
      options.onProgress?.(seqs.length);
    }
    if (rowsInRange < RANGE) break;
    start = expectedSeq;
  }
  // A checkpoint past the head means rows were removed from the end, unless the ledger grew (and a
  // checkpoint was signed) after the last COPY read it.
  const beyond = await findCheckpoint(knex, { atOrAfter: expectedSeq });
  if (beyond && beyond.seq <= to && !(await knex('ledger_events').where('seq', expectedSeq).first('seq'))) {
    return fail(
      expectedSeq,
      'missing',
      `seq ${expectedSeq}–${beyond.seq} are missing: checkpoint ${beyond.seq} signed a longer ledger than the one found (head seq ${expectedSeq - 1})`,
    );
  }
  return { ok: true, checked, headSeq: expectedSeq - 1, headHash: prevHash, checkpoints: signed };
}

function classify(
  seq: number,
  expectedPrev: string,
  rowPrev: string,
  rowHash: string,
  body: string,
): { problem: ChainProblem; message: string } {
  const linked = rowPrev === expectedPrev;
  const contentIntact = chainHash(rowPrev, body) === rowHash && bodySeq(body) === seq;
  const predecessor = seq === 1 ? 'the genesis hash' : `the hash of seq ${seq - 1}`;
  if (linked) return { problem: 'altered', message: `seq ${seq}: the stored hash does not match the row's content` };
  if (contentIntact)
    return { problem: 'broken_link', message: `seq ${seq}: prev_hash is not ${predecessor} although the row's own hash matches` };
  return {
    problem: 'reordered',
    message: `seq ${seq}: the hash does not match the row's content and prev_hash is not ${predecessor}: the row was moved here or relinked`,
  };
}

function bodySeq(body: string): number | undefined {
  try {
    return (JSON.parse(body) as { seq?: number }).seq;
  } catch {
    return undefined;
  }
}
