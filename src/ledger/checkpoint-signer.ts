import { CompactSign } from 'jose';
import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import { CHECKPOINT_TYP, findCheckpoint, type Checkpoint, type CheckpointClaims } from './checkpoints.ts';
import type { LedgerKey } from './ledger-key.ts';
import { verifyChain } from './verify.ts';

/**
 * Verifies the rows appended since the last checkpoint (and that checkpoint itself) and signs the new head.
 * Returns undefined when nothing was appended since; throws StepUpError('ledger_invalid') rather than sign
 * a chain that does not verify. Several instances may call this at once: one checkpoint per head is kept.
 */
export async function createCheckpoint(knex: Knex | Knex.Transaction, key: LedgerKey): Promise<Checkpoint | undefined> {
  const last = await findCheckpoint(knex, { last: true });
  const report = await verifyChain(knex, { from: last?.seq ?? 1 });
  if (!report.ok)
    throw new StepUpError('ledger_invalid', `not signing a checkpoint: ${report.message}`, { seq: report.seq, problem: report.problem });
  if (report.headSeq === 0 || report.headSeq === last?.seq) return undefined;
  const claims: CheckpointClaims = { seq: report.headSeq, hash: report.headHash, iat: Math.floor(Date.now() / 1000) };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: CHECKPOINT_TYP })
    .sign(key.privateKey);
  await knex('ledger_checkpoints').insert({ seq: claims.seq, hash: claims.hash, kid: key.kid, jws }).onConflict('seq').ignore();
  return findCheckpoint(knex, { seq: claims.seq });
}
