import { createDecipheriv } from 'node:crypto';
import { z } from 'zod';
import { WebhookRejectedError } from '../../errors.ts';
import type { WebhookHint, WebhookRequest } from '../types.ts';
import { headerValue } from '../webhook.ts';
import { IDENTITY_KEY, unixSeconds, VENDOR } from './api.ts';

/** The webhook event a successful re-authentication fires (seed 004). */
export const IDENTITY_AUTHENTICATED = 'IDENTITY_AUTHENTICATED';
const IV_BYTES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const eventSchema = z.looseObject({ event: z.string().min(1) });
const authenticatedSchema = z.looseObject({
  event: z.literal(IDENTITY_AUTHENTICATED),
  key: z.string().regex(IDENTITY_KEY),
  status: z.literal('approved'),
  created: unixSeconds,
  updated: unixSeconds,
  processed: unixSeconds,
});

/** Decrypts an encrypted webhook body; every failure is the same refusal, so it reveals nothing. */
function decrypt(secretBytes: Buffer, rawBody: Buffer): Buffer {
  // Lenient like the vendor's example decoder: line-wrapped (or otherwise spaced) base64 is still base64.
  const text = rawBody.toString('latin1').replace(/\s+/g, '');
  if (!BASE64.test(text)) throw new WebhookRejectedError(VENDOR, 'body is not base64');
  const data = Buffer.from(text, 'base64');
  if (data.length < IV_BYTES * 2 || (data.length - IV_BYTES) % 16 !== 0) {
    throw new WebhookRejectedError(VENDOR, 'body is not an IV and whole AES blocks');
  }
  try {
    const decipher = createDecipheriv('aes-256-cbc', secretBytes, data.subarray(0, IV_BYTES));
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES)), decipher.final()]);
  } catch {
    throw new WebhookRejectedError(VENDOR, 'body does not decrypt with the webhook secret');
  }
}

function parseEvent(plaintext: Buffer): unknown {
  try {
    // fatal: bytes that are not UTF-8 are garbage from a wrong key or a tampered ciphertext.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new WebhookRejectedError(VENDOR, 'body is not JSON');
  }
}

function mediaType(headers: WebhookRequest['headers']): string {
  return (headerValue(headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The re-authentication an encrypted Passbase webhook reports (identity key and its own processed time),
 * once it decrypts with `secretBytes` to a well-formed event; null for the project's other events.
 */
export function passbaseWebhookHint(secretBytes: Buffer, request: WebhookRequest): WebhookHint | null {
  // The vendor's example decrypts exactly the text/plain bodies; JSON would be unauthenticated.
  if (mediaType(request.headers) !== 'text/plain')
    throw new WebhookRejectedError(VENDOR, 'the webhook is not an encrypted text/plain body');
  const json = parseEvent(decrypt(secretBytes, request.rawBody));
  const event = eventSchema.safeParse(json);
  if (!event.success) throw new WebhookRejectedError(VENDOR, 'not a Passbase event');
  // Project webhooks carry every subscribed event; only re-authentication concerns step-up.
  if (event.data.event !== IDENTITY_AUTHENTICATED) return null;
  const authenticated = authenticatedSchema.safeParse(json);
  if (!authenticated.success) throw new WebhookRejectedError(VENDOR, 'not a well-formed IDENTITY_AUTHENTICATED event');
  const { key, processed } = authenticated.data;
  return { subject: key, event: IDENTITY_AUTHENTICATED, occurredAt: new Date(processed * 1000) };
}
