import { z } from 'zod';
import { WebhookRejectedError } from '../../errors.ts';
import type { WebhookHint, WebhookRequest } from '../types.ts';
import { headerValue, hexSignatureMatches, hmacSha256Hex, webhookEnvelope } from '../webhook.ts';
import { OBJECT_ID, VENDOR } from './api.ts';
import type { VerifikConfig } from './config.ts';

const SIGNATURE = /^sha256=([0-9a-f]+)$/i;

const envelopeSchema = z.looseObject({ type: z.string().min(1), object: z.looseObject({ _id: z.unknown() }) });

/** The validation a Verifik webhook names (signed, when a `webhookSecret` is set); null for other modules' events. */
export function verifikWebhookHint(config: VerifikConfig, request: WebhookRequest): WebhookHint | null {
  if (config.webhookSecret !== undefined) {
    const header = headerValue(request.headers, 'x-verifik-signature');
    if (header === undefined) throw new WebhookRejectedError(VENDOR, 'missing X-Verifik-Signature');
    const hex = SIGNATURE.exec(header.trim())?.[1];
    if (!hexSignatureMatches(hmacSha256Hex(config.webhookSecret, request.rawBody), hex)) {
      throw new WebhookRejectedError(VENDOR, 'signature does not match');
    }
  }
  const { type, object } = webhookEnvelope(VENDOR, request.rawBody, envelopeSchema, 'not a Verifik webhook envelope');
  // Webhooks bound to a project flow carry every module's events; only biometric validations matter here.
  if (!type.startsWith('biometric_validation_') && type !== 'biometrics_liveness_score_not_acceptable') return null;
  if (typeof object._id !== 'string' || !OBJECT_ID.test(object._id)) {
    throw new WebhookRejectedError(VENDOR, 'object._id is not a biometric validation id');
  }
  return { vendorSessionId: object._id };
}
