import { ownEntry } from '../lookup.ts';
import type { FetchOptions, VendorOutcome, ReportedState, WebhookHint } from '../types.ts';
import type { Identity } from './api.ts';
import { IDENTITY_AUTHENTICATED } from './webhook.ts';

/** How far in the future an event's own time may lie (clock skew) and still count. */
const SKEW_SECONDS = 60;

/** Documented identity statuses other than `approved`, which needs the authentication evidence. */
const STATES: Record<string, ReportedState> = {
  created: 'pending',
  processing: 'in_progress',
  pending: 'in_progress',
  declined: 'rejected',
};

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Whether the webhook that caused this read shows a re-authentication of `key` inside the step-up's window,
 * from `since` to now (unix s). The hint comes from `authenticateWebhook`, which only returns one for a
 * decrypted event and sets `occurredAt` from the event's own processed time.
 */
function authenticatedWithin(webhook: WebhookHint | undefined, key: string, since: number, now: number): boolean {
  if (!webhook || !('subject' in webhook)) return false;
  if (webhook.subject !== key || webhook.event !== IDENTITY_AUTHENTICATED || webhook.occurredAt === undefined) return false;
  const at = seconds(webhook.occurredAt);
  return at >= since && at <= now + SKEW_SECONDS;
}

/** What the identity read says about this step-up: approved only with an authenticated re-authentication inside its window. */
export function toOutcome(
  vendorSessionId: string,
  identity: Identity,
  options: FetchOptions & { verification: { subject: string; startedAt: Date } },
): VendorOutcome {
  const base = { vendorSessionId, vendorStatus: identity.status, scores: {}, subject: identity.id };
  if (identity.status !== 'approved') {
    // Own keys only: a status such as `constructor` must not find Object.prototype's members.
    const state = ownEntry(STATES, identity.status);
    if (!state) return { ...base, state: 'failed', reason: `unknown_status:${identity.status.slice(0, 64)}` };
    return { ...base, state, reason: `identity_${identity.status}` };
  }
  if (!authenticatedWithin(options.webhook, identity.id, seconds(options.verification.startedAt), seconds(new Date()))) {
    return { ...base, state: 'pending', reason: 'awaiting_identity_authenticated' };
  }
  return { ...base, state: 'approved' };
}
