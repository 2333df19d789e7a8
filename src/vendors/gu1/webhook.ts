import { z } from 'zod';
import { WebhookRejectedError } from '../../errors.ts';
import type { WebhookHint, WebhookRequest } from '../types.ts';
import { requireHexSignature, sentWithin, webhookEnvelope } from '../webhook.ts';
import { sessionId, VENDOR } from './api.ts';
import type { Gu1Config } from './config.ts';

const WEBHOOK_MAX_AGE_MS = 60 * 60 * 1000;
const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;

const envelopeSchema = z.looseObject({
  event: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  payload: z.looseObject({ id: sessionId }),
});

/** The session a Gu1 webhook names, once its signature and timestamp check out; null for other events. */
export function gu1WebhookHint(config: Gu1Config, request: WebhookRequest): WebhookHint | null {
  requireHexSignature(VENDOR, request, 'X-Webhook-Signature', config.webhookSecret);
  const envelope = webhookEnvelope(VENDOR, request.rawBody, envelopeSchema, 'not a biometric session event');
  if (!sentWithin(request.now, envelope.timestamp, WEBHOOK_MAX_AGE_MS, WEBHOOK_MAX_SKEW_MS)) {
    throw new WebhookRejectedError(VENDOR, 'timestamp outside the accepted window');
  }
  // Organization webhooks carry every subscribed event; only biometric sessions concern step-up.
  if (!envelope.event.startsWith('biometric.session_')) return null;
  return { vendorSessionId: envelope.payload.id };
}
