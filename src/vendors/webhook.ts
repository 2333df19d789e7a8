import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { WebhookRejectedError } from '../errors.ts';
import type { WebhookRequest } from './types.ts';

/** Lowercase hex HMAC-SHA256 of the exact bytes received (never of re-serialised JSON). */
export function hmacSha256Hex(secret: string | Buffer, raw: Buffer | string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

const HEX = /^(?:[0-9a-f]{2})+$/i;

/**
 * Compares a received hex signature with the expected one in constant time. Anything that is not
 * well-formed hex of the same length is false before any comparison, so a truncated or padded
 * signature never matches and `timingSafeEqual` never throws on unequal lengths.
 */
export function hexSignatureMatches(expectedHex: string, receivedHex: string | undefined): boolean {
  if (receivedHex === undefined || !HEX.test(receivedHex) || receivedHex.length !== expectedHex.length) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(receivedHex, 'hex'));
}

/**
 * Compares two secrets in constant time: digests first give equal lengths, so neither a secret's length
 * nor its prefix leaks through timing.
 */
export function secretsEqual(expected: string, received: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(received));
}

/** Reads a header whatever the case its name arrived in (HTTP header names are case-insensitive). */
export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Refuses a webhook unless its `header` carries the lowercase hex HMAC-SHA256 of the raw body keyed with
 * `secret` (surrounding white space ignored).
 */
export function requireHexSignature(vendor: string, request: WebhookRequest, header: string, secret: string): void {
  const signature = headerValue(request.headers, header);
  if (signature === undefined) throw new WebhookRejectedError(vendor, `missing ${header}`);
  if (!hexSignatureMatches(hmacSha256Hex(secret, request.rawBody), signature.trim())) {
    throw new WebhookRejectedError(vendor, 'signature does not match');
  }
}

/**
 * Whether a webhook sent at `sentAt` (ISO-8601) is neither older than `maxAgeMs` nor dated further ahead
 * than `maxSkewMs`; a time that does not parse is never within.
 */
export function sentWithin(now: Date, sentAt: string, maxAgeMs: number, maxSkewMs: number): boolean {
  const age = now.getTime() - Date.parse(sentAt);
  return age <= maxAgeMs && age >= -maxSkewMs;
}

/**
 * A webhook body read as `schema`: a body that is not JSON, or not that envelope (`notWhat` says what it
 * should have been), is refused rather than acknowledged.
 */
export function webhookEnvelope<T>(vendor: string, rawBody: Buffer, schema: z.ZodType<T>, notWhat: string): T {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejectedError(vendor, 'body is not JSON');
  }
  const envelope = schema.safeParse(json);
  if (!envelope.success) throw new WebhookRejectedError(vendor, notWhat);
  return envelope.data;
}
