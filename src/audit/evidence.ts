import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import { GENESIS_HASH, eventFromStored, type StoredEvent } from '../ledger/chain.ts';
import { findCheckpoint, type Checkpoint } from '../ledger/checkpoints.ts';
import { verificationTrail } from '../ledger/query.ts';
import { verifyChain } from '../ledger/verify.ts';

/**
 * The most rows an evidence document carries to link a verification's events to their checkpoint. Past it
 * (a long capture on a busy ledger, or a checkpoint interval with many events) the rows are left out and
 * `proof.links` says how many there would have been: the page then says it could not check the chain itself,
 * shows the server's own check (`segment`), and points to `stepup ledger verify --from …`, which checks it offline.
 */
export const MAX_PROOF_ROWS = 2000;

/**
 * The evidence of one verification: every ledger event with the exact text its hash covers, the chain
 * proof (the stored rows from its first event up to the signed checkpoint that covers the last one, so a
 * verifier can recompute each hash and reach the checkpoint's signed hash) and the server's own check of
 * the segment between the checkpoints around it. GET /audit/verifications/:txn and the console's evidence
 * page both answer with it; `maxProofRows` bounds the proof's rows. Throws StepUpError('verification_not_found')
 * when no event has this txn.
 */
export async function verificationEvidence(knex: Knex, verificationId: string, maxProofRows = MAX_PROOF_ROWS) {
  const trail = await verificationTrail(knex, verificationId);
  if (trail.length === 0) throw new StepUpError('verification_not_found', `no ledger event has txn ${verificationId}`);
  const first = trail[0]!.seq;
  const last = trail[trail.length - 1]!.seq;
  const anchor = await findCheckpoint(knex, { before: first });
  const checkpoint = await findCheckpoint(knex, { atOrAfter: last });
  const from = anchor?.seq ?? 1;
  const to = checkpoint?.seq ?? last;
  const segment = await verifyChain(knex, { from, to });
  return {
    txn: verificationId,
    events: trail.map((row) => ({ ...eventFromStored(row), body: row.body })),
    proof: {
      hash: 'sha256 hex of prevHash + "\\n" + body; body is the canonical JSON (RFC 8785) of the event',
      anchor: anchor ? checkpointJson(anchor) : { seq: 0, hash: GENESIS_HASH },
      checkpoint: checkpoint ? checkpointJson(checkpoint) : null,
      links: checkpoint ? await links(knex, first, checkpoint.seq, maxProofRows) : null,
      segment: segment.ok
        ? { from, to, verified: true, rows: segment.checked, checkpoints: segment.checkpoints }
        : { from, to, verified: false, seq: segment.seq, problem: segment.problem, message: segment.message },
    },
  };
}

/** The evidence document of one verification. */
export type VerificationEvidence = Awaited<ReturnType<typeof verificationEvidence>>;

/** The JSON form of a checkpoint (the audit API's). */
export function checkpointJson(c: Checkpoint) {
  return { seq: c.seq, hash: c.hash, kid: c.kid, jws: c.jws, createdAt: c.createdAt };
}

// Every row from the first event to the checkpoint, as stored, when there are few enough to send.
async function links(knex: Knex, from: number, to: number, max: number) {
  const count = to - from + 1;
  if (count > max) return { from, to, rows: null, omitted: count, max };
  const rows = (await knex('ledger_events')
    .whereBetween('seq', [from, to])
    .orderBy('seq')
    .select('seq', 'body', 'prev_hash', 'hash')) as StoredEvent[];
  return { from, to, rows: rows.map((r) => ({ seq: Number(r.seq), body: r.body, prevHash: r.prev_hash, hash: r.hash })) };
}
