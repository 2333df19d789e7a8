import { z } from 'zod';
import { WebhookRejectedError } from '../../errors.ts';
import type { WebhookHint, WebhookRequest } from '../types.ts';
import { headerValue, requireHexSignature, secretsEqual, sentWithin, webhookEnvelope } from '../webhook.ts';
import { idSchema, VENDOR } from './api.ts';
import type { GlobalPassConfig } from './config.ts';

/** The webhook type of an instant biometrics check changing status; the only one step-up reads. */
export const INSTANT_BIOMETRICS_EVENT = 'biometrics.instant.change';
const WEBHOOK_MAX_AGE_MS = 15 * 60 * 1000;
const WEBHOOK_MAX_SKEW_MS = 5 * 60 * 1000;

const webhookSchema = z.looseObject({
  type: z.string().min(1).max(128),
  secret: z.string().optional(),
  data: z.unknown().optional(),
});
const instantChangeSchema = z.looseObject({ instantBiometricsId: idSchema });

function hintFrom(envelope: z.infer<typeof webhookSchema>): WebhookHint | null {
  // Screening webhooks share the URL; only instant biometrics concern step-up.
  if (envelope.type !== INSTANT_BIOMETRICS_EVENT) return null;
  const data = instantChangeSchema.safeParse(envelope.data);
  if (!data.success) throw new WebhookRejectedError(VENDOR, 'not an instant biometrics change');
  return { vendorSessionId: data.data.instantBiometricsId };
}

function checkCreatedAt(request: WebhookRequest, required: boolean): void {
  const createdAt = headerValue(request.headers, 'x-gp-created-at')?.trim();
  if (createdAt === undefined) {
    if (required) throw new WebhookRejectedError(VENDOR, 'missing X-GP-Created-At');
    return;
  }
  if (!z.iso.datetime({ offset: true }).safeParse(createdAt).success) {
    throw new WebhookRejectedError(VENDOR, 'X-GP-Created-At is not an ISO-8601 time');
  }
  if (!sentWithin(request.now, createdAt, WEBHOOK_MAX_AGE_MS, WEBHOOK_MAX_SKEW_MS)) {
    throw new WebhookRejectedError(VENDOR, 'X-GP-Created-At outside the accepted window');
  }
}

const parseBody = (rawBody: Buffer) => webhookEnvelope(VENDOR, rawBody, webhookSchema, 'not a GlobalPass webhook');

/** The check a GlobalPass webhook names, once it is authenticated as `webhookMode` says; null for other events. */
export function globalPassWebhookHint(config: GlobalPassConfig, request: WebhookRequest): WebhookHint | null {
  if (config.webhookMode === 'v1') {
    const envelope = parseBody(request.rawBody);
    if (typeof envelope.secret !== 'string') {
      throw new WebhookRejectedError(VENDOR, 'no secret in the body (a V2 delivery while webhookMode is v1?)');
    }
    if (!secretsEqual(config.webhookSecret, envelope.secret)) throw new WebhookRejectedError(VENDOR, 'body secret does not match');
    checkCreatedAt(request, false);
    return hintFrom(envelope);
  }
  // A V1 delivery reaching a V2 configuration is worth explaining: the portal switch fixes it.
  if (headerValue(request.headers, 'x-gp-signature') === undefined && request.rawBody.includes('"secret"')) {
    throw new WebhookRejectedError(
      VENDOR,
      'missing X-GP-Signature: a V1 delivery (secret in the body) while webhookMode is v2; turn on V2 Delivery in the portal',
    );
  }
  requireHexSignature(VENDOR, request, 'X-GP-Signature', config.webhookSecret);
  checkCreatedAt(request, true);
  return hintFrom(parseBody(request.rawBody));
}
