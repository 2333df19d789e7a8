import type { Knex } from 'knex';
import { WebhookRejectedError } from '../errors.ts';
import type { VendorAdapter, WebhookHint, WebhookRequest } from '../vendors/types.ts';
import { findByVendorSession, findOpenForSubject, type Verification } from './repository.ts';
import { occurredInWindow, takeWebhookEvent } from './webhook-receipts.ts';

/**
 * The verification a webhook is about, once the webhook is known to be worth acting on. Throws
 * WebhookRejectedError for anything else: not genuine, about another product or a session we do not
 * know, dated outside the verification's window, or already taken.
 */
export async function acceptWebhook(
  knex: Knex,
  vendors: ReadonlyMap<string, VendorAdapter>,
  vendorId: string,
  request: WebhookRequest,
): Promise<{ verification: Verification; hint: WebhookHint }> {
  const adapter = vendors.get(vendorId);
  if (!adapter) throw new WebhookRejectedError(vendorId, 'no such vendor is configured');
  const hint = adapter.authenticateWebhook(request);
  if (!hint) throw new WebhookRejectedError(vendorId, 'an event step-up does not use');
  const verification =
    'vendorSessionId' in hint
      ? await findByVendorSession(knex, vendorId, hint.vendorSessionId)
      : await findOpenForSubject(knex, vendorId, hint.subject);
  if (!verification) throw new WebhookRejectedError(vendorId, 'no verification matches the reference');
  if (!occurredInWindow(hint, verification, request.now))
    throw new WebhookRejectedError(vendorId, "event dated outside the verification's window");
  if (!(await takeWebhookEvent(knex, verification, hint))) throw new WebhookRejectedError(vendorId, 'event already taken (replay)');
  return { verification, hint };
}
