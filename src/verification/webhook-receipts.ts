import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { WebhookHint } from '../vendors/types.ts';
import type { Verification } from './repository.ts';

const TABLE = 'webhook_receipts';
/** How far ahead of our clock a vendor's event time may be. */
const MAX_SKEW_MS = 60_000;

/**
 * Whether a webhook that dates its event (`occurredAt`, Passbase's `processed`) says it happened while
 * this verification was open: not before it started (compared in whole seconds, the vendor's precision),
 * not after it expired, and not in our future.
 */
export function occurredInWindow(hint: WebhookHint, verification: Pick<Verification, 'createdAt' | 'expiresAt'>, now: Date): boolean {
  if (!hint.occurredAt) return true;
  const at = hint.occurredAt.getTime();
  const start = Math.floor(verification.createdAt.getTime() / 1000) * 1000;
  return at >= start && at <= verification.expiresAt.getTime() && at <= now.getTime() + MAX_SKEW_MS;
}

/**
 * Records a dated webhook event as taken by this verification, once: false when it already was (a replay,
 * or the vendor sending it again). The id is what the event says, not its bytes, so a re-encrypted or
 * re-padded copy is still the same event; another verification refuses the event by its window (to the
 * vendor's one-second precision). Undated hints have no identity to remember and always pass.
 */
export async function takeWebhookEvent(
  knex: Knex,
  verification: Pick<Verification, 'id' | 'vendor' | 'expiresAt'>,
  hint: WebhookHint,
): Promise<boolean> {
  if (!hint.occurredAt) return true;
  const reference = 'vendorSessionId' in hint ? `session:${hint.vendorSessionId}` : `subject:${hint.subject}`;
  const eventId = createHash('sha256')
    .update([verification.id, reference, hint.event ?? '', hint.occurredAt.toISOString()].join('\n'))
    .digest('hex');
  const inserted = await knex(TABLE)
    .insert({ vendor: verification.vendor, event_id: eventId, expires_at: verification.expiresAt })
    .onConflict(['vendor', 'event_id'])
    .ignore()
    .returning('event_id');
  return inserted.length === 1;
}

/** Forgets receipts whose verification has expired: it is closed by then, so a replay finds nothing open to act on. */
export async function purgeWebhookReceipts(knex: Knex, now: Date): Promise<number> {
  return (await knex(TABLE).where('expires_at', '<=', now).delete().returning('event_id')).length;
}
