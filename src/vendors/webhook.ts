import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** Reads a header whatever the case its name arrived in (HTTP header names are case-insensitive). */
export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
