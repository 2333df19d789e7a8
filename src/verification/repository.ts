import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import type { Presentation, WebhookHint } from '../vendors/types.ts';
import { inTransaction } from '../db/transaction.ts';
import { stageEvent, stageWithChange } from '../ledger/ledger.ts';
import { changeAsSeen, changedColumns, stateChangeEvent, type TransitionCause, type TransitionPatch } from './change-as-seen.ts';
import { chainAfterCommit } from './ledger-events.ts';
import { TABLE, toVerification, type NewVerification, type Verification, type VerificationRow } from './row.ts';
import { OPEN_STATES, isEntered, sourcesOf, type VerificationState } from './state.ts';

/*
 * The rows of `verifications`, read and written only by the orchestrator and the helpers it delegates to in
 * this folder (test/verification/boundaries.test.ts); every state change goes through `transition` and the
 * state machine of state.ts. Times come from the caller's clock.
 *
 * A change's ledger event is staged in the change's own transaction and chained after the commit
 * (ledger-events.ts): writers return once it is chained, so a reader of the ledger finds it. Given the
 * caller's transaction, they only stage it: it is chained after that commits, by the next drain.
 */

export type { NewVerification, Verification } from './row.ts';
export type { TransitionCause, TransitionPatch } from './change-as-seen.ts';

/** Creates a `pending` verification and records `verification.started` in the same transaction. */
export async function createVerification(knex: Knex | Knex.Transaction, input: NewVerification, now: Date): Promise<Verification> {
  const id = randomUUID();
  const insert = knex(TABLE)
    .insert({
      id,
      interaction_uid: input.interactionUid,
      account_id: input.accountId,
      client_id: input.clientId,
      acr: input.acr,
      vendor: input.vendor,
      vendor_type: input.vendorType,
      expected_subject: input.expectedSubject,
      state: 'pending',
      policy_hash: input.policyHash,
      thresholds: JSON.stringify(input.thresholds),
      created_at: now,
      updated_at: now,
      expires_at: input.expiresAt,
    })
    .returning('*');
  // Everything the event records is known before the insert: both go in one statement.
  const [row] = await stageWithChange<VerificationRow>(
    knex,
    {
      type: 'verification.started',
      verificationId: id,
      accountId: input.accountId,
      clientId: input.clientId,
      acr: input.acr,
      vendor: input.vendor,
      at: now,
      data: {
        interactionUid: input.interactionUid,
        vendorType: input.vendorType,
        expectedSubject: input.expectedSubject,
        thresholds: input.thresholds,
        policyHash: input.policyHash,
        expiresAt: input.expiresAt.toISOString(),
      },
    },
    insert,
  );
  await chainAfterCommit(knex);
  return toVerification(row!);
}

/**
 * Records the vendor session a verification runs in. Only an open verification accepts one: one that
 * already ended (e.g. expired while the vendor was starting) comes back unchanged, with a different
 * `vendorSessionId`, and the caller should cancel the vendor session. A vendor deadline earlier than ours
 * becomes the verification's deadline.
 */
export async function attachVendorSession(
  knex: Knex | Knex.Transaction,
  id: string,
  session: { vendorSessionId: string; presentation: Presentation; expiresAt?: Date },
  now: Date,
): Promise<Verification> {
  const [row] = (await knex(TABLE)
    .where({ id })
    .whereIn('state', OPEN_STATES)
    .update({
      vendor_session_id: session.vendorSessionId,
      presentation: JSON.stringify(session.presentation),
      updated_at: now,
      ...(session.expiresAt ? { expires_at: knex.raw('least(expires_at, ?)', [session.expiresAt]) } : {}),
    })
    .returning('*')) as VerificationRow[];
  return row ? toVerification(row) : mustFind(knex, id);
}

/** The verification with this id, if any. */
export async function findVerification(knex: Knex | Knex.Transaction, id: string): Promise<Verification | undefined> {
  const row = (await knex(TABLE).where({ id }).first()) as VerificationRow | undefined;
  return row && toVerification(row);
}

/** The verification a vendor session belongs to (webhooks and polling arrive with the vendor's id). */
export async function findByVendorSession(
  knex: Knex | Knex.Transaction,
  vendor: string,
  vendorSessionId: string,
): Promise<Verification | undefined> {
  const row = (await knex(TABLE).where({ vendor, vendor_session_id: vendorSessionId }).first()) as VerificationRow | undefined;
  return row && toVerification(row);
}

/** The newest still-open verification of an interaction, if any. */
export function findOpenForInteraction(knex: Knex | Knex.Transaction, interactionUid: string): Promise<Verification | undefined> {
  return newestForInteraction(knex, interactionUid, OPEN_STATES);
}

/** Every open verification of an account at one vendor, oldest first. */
export async function findOpenForAccount(knex: Knex | Knex.Transaction, accountId: string, vendor: string): Promise<Verification[]> {
  const rows = (await knex(TABLE)
    .where({ account_id: accountId, vendor })
    .whereIn('state', OPEN_STATES)
    .orderBy('created_at')) as VerificationRow[];
  return rows.map(toVerification);
}

/**
 * The newest open verification at a vendor for the person it names. Vendors without server-side
 * sessions (Passbase) identify the person, not a session, in their webhooks.
 */
export async function findOpenForSubject(
  knex: Knex | Knex.Transaction,
  vendor: string,
  subject: string,
): Promise<Verification | undefined> {
  const row = (await knex(TABLE)
    .where({ vendor, expected_subject: subject })
    .whereIn('state', OPEN_STATES)
    .orderBy('created_at', 'desc')
    .first()) as VerificationRow | undefined;
  return row && toVerification(row);
}

/** Keeps the last authenticated webhook of a still-open verification; a closed one is left as it ended. */
export async function rememberWebhook(knex: Knex | Knex.Transaction, id: string, hint: WebhookHint): Promise<void> {
  await knex(TABLE)
    .where({ id })
    .whereIn('state', OPEN_STATES)
    .update({ last_webhook: JSON.stringify(hint) });
}

/**
 * Claims up to `limit` open verifications due for a status poll and pushes each one's next poll to
 * `nextPollAt(verification)`, in one transaction. `SKIP LOCKED` lets several IdP instances poll the
 * same database without claiming the same row twice.
 */
export async function claimDuePolls(
  knex: Knex,
  now: Date,
  limit: number,
  nextPollAt: (verification: Verification) => Date,
  /** A verification never polled is first due once it was created this long ago (the person needs time). */
  firstPollAfterMs = 0,
): Promise<Verification[]> {
  const createdBy = new Date(now.getTime() - firstPollAfterMs);
  return inTransaction(knex, async (trx) => {
    const rows = (await trx(TABLE)
      .whereIn('state', OPEN_STATES)
      .whereNotNull('vendor_session_id')
      .where((q) =>
        q
          .where((never) => {
            never.whereNull('next_poll_at');
            if (firstPollAfterMs > 0) never.andWhere('created_at', '<=', createdBy);
          })
          .orWhere('next_poll_at', '<=', now),
      )
      .orderByRaw('next_poll_at asc nulls first')
      .limit(limit)
      .forUpdate()
      .skipLocked()) as VerificationRow[];
    const claimed = rows.map(toVerification);
    for (const verification of claimed) {
      await trx(TABLE)
        .where({ id: verification.id })
        .update({ next_poll_at: nextPollAt(verification), poll_attempts: trx.raw('poll_attempts + 1') });
    }
    return claimed;
  });
}

/** The newest verification of an interaction whatever its state (what the user last attempted), if any. */
export function latestForInteraction(knex: Knex | Knex.Transaction, interactionUid: string): Promise<Verification | undefined> {
  return newestForInteraction(knex, interactionUid);
}

async function newestForInteraction(
  knex: Knex | Knex.Transaction,
  interactionUid: string,
  states?: readonly VerificationState[],
): Promise<Verification | undefined> {
  const query = knex(TABLE).where({ interaction_uid: interactionUid });
  if (states) query.whereIn('state', states);
  const row = (await query.orderBy('created_at', 'desc').first()) as VerificationRow | undefined;
  return row && toVerification(row);
}

// Optimistic attempts before a change takes the row lock (a row that keeps changing under us).
const AS_SEEN_TRIES = 3;

/**
 * Moves a verification to `to` when the state machine allows it, and records the change in the ledger in
 * the same transaction. Anything else (terminal state, duplicate, late or out-of-order event) changes
 * nothing and records nothing: `changed: false` with the verification as stored. Given the verification
 * as the caller last `seen` it, a change that finds it still so costs one statement (change-as-seen.ts).
 */
export async function transition(
  knex: Knex | Knex.Transaction,
  id: string,
  to: VerificationState,
  now: Date,
  patch: TransitionPatch = {},
  cause: TransitionCause = {},
  seen?: Verification,
): Promise<{ changed: boolean; verification: Verification }> {
  if (!isEntered(to)) return { changed: false, verification: await mustFind(knex, id) };
  // Without a lock: the states only move forward (pending → in_progress → an end), so a verification not
  // in a source state of `to` never will be, and one that moved on is read again and tried as it now is.
  let current = seen?.id === id ? seen : undefined;
  for (let tries = 0; current && tries < AS_SEEN_TRIES; tries++) {
    if (!sourcesOf(to).includes(current.state))
      return { changed: false, verification: current === seen ? await mustFind(knex, id) : current };
    const changed = await changeAsSeen(knex, current, to, now, patch, cause);
    if (changed) {
      await chainAfterCommit(knex);
      return { changed: true, verification: changed };
    }
    current = await mustFind(knex, id);
  }
  const changed = await inTransaction(knex, async (trx) => {
    // The row lock tells us which state this update replaces (for the ledger's `from`); concurrent
    // transitions queue on it and then find the state already moved. Lock and update are one statement.
    const [row] = (await trx(TABLE)
      .with('current', (q) => q.from(TABLE).where({ id }).forUpdate().select('id', 'state'))
      .updateFrom('current')
      .where(`${TABLE}.id`, trx.ref('current.id'))
      .whereIn('current.state', sourcesOf(to))
      .update(changedColumns(to, now, patch))
      .returning([`${TABLE}.*`, 'current.state as from_state'])) as Array<VerificationRow & { from_state: VerificationState }>;
    if (!row) return undefined;
    const verification = toVerification(row);
    await stageEvent(trx, stateChangeEvent(verification, row.from_state, to, now, cause));
    return verification;
  });
  if (!changed) return { changed: false, verification: await mustFind(knex, id) };
  await chainAfterCommit(knex);
  return { changed: true, verification: changed };
}

/** Locks a verification's row until the transaction ends (taken before the ledger's lock, the order every writer keeps). */
export async function lockVerification(trx: Knex.Transaction, id: string): Promise<void> {
  await trx(TABLE).where({ id }).forUpdate().first('id');
}

/**
 * When the account's rejected verifications at a level were created, from `since` on.
 */
export async function rejectionTimes(knex: Knex, accountId: string, acr: string, since: Date): Promise<Date[]> {
  const rows = await knex(TABLE)
    .where({ account_id: accountId, acr, state: 'rejected' })
    .where('created_at', '>=', since)
    .select<Array<{ created_at: Date }>>('created_at');
  return rows.map((r) => new Date(r.created_at));
}

async function mustFind(knex: Knex | Knex.Transaction, id: string): Promise<Verification> {
  const verification = await findVerification(knex, id);
  if (!verification) throw notFound(id);
  return verification;
}

function notFound(id: string): StepUpError {
  return new StepUpError('verification_not_found', `verification ${id} does not exist`, { verificationId: id });
}
