import { z } from 'zod';
import { WebhookRejectedError } from '../../errors.ts';
import type { WebhookHint, WebhookRequest } from '../types.ts';
import { requireHexSignature, sentWithin, webhookEnvelope } from '../webhook.ts';
import { idSchema, OPERATION_PREFIX, VENDOR } from './api.ts';
import type { AuthIdConfig } from './config.ts';

const WEBHOOK_MAX_AGE_MS = 15 * 60 * 1000;
const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;

const webhookSchema = z.looseObject({
  TransactionId: idSchema.optional(),
  OperationId: idSchema.optional(),
  Name: z.string().max(128).optional(),
  Timestamp: z.iso.datetime({ offset: true }),
});

/** The session an authID webhook names, once its signature and time check out; null for events that are not step-ups. */
export function authIdWebhookHint(config: AuthIdConfig, request: WebhookRequest): WebhookHint | null {
  if (!config.webhookSecret) throw new WebhookRejectedError(VENDOR, 'no webhookSecret is configured for this vendor');
  requireHexSignature(VENDOR, request, 'X-AuthID-Signature', config.webhookSecret);
  const event = webhookEnvelope(VENDOR, request.rawBody, webhookSchema, 'not an authID status event');
  const { TransactionId, OperationId, Name, Timestamp } = event;
  if ((TransactionId === undefined) === (OperationId === undefined)) {
    throw new WebhookRejectedError(VENDOR, 'the event must name exactly one TransactionId or OperationId');
  }
  if (!sentWithin(request.now, Timestamp, WEBHOOK_MAX_AGE_MS, WEBHOOK_MAX_SKEW_MS)) {
    throw new WebhookRejectedError(VENDOR, 'timestamp outside the accepted window');
  }
  if (TransactionId !== undefined) return { vendorSessionId: TransactionId };
  // Enrolment and document operations share the webhook; only selfie captures are step-ups.
  if (Name !== undefined && Name !== 'GetForeignBiometry') return null;
  return { vendorSessionId: `${OPERATION_PREFIX}${OperationId}` };
}
