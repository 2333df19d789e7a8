import type { WebhookRequest } from '../../src/vendors/types.ts';
import { hmacSha256Hex } from '../../src/vendors/webhook.ts';

/** The content type of a JSON webhook body. */
export const JSON_CONTENT = { 'content-type': 'application/json' };

/**
 * A webhook delivery of `body` as received at `now`, signed in `header` with the hex HMAC-SHA256 of its exact
 * bytes under `secret` (after `prefix`, when the scheme has one), beside any other `headers` the vendor sends.
 */
export function hmacSignedWebhook(
  header: string,
  body: string,
  secret: string,
  now: Date,
  { prefix = '', headers = {} }: { prefix?: string; headers?: Record<string, string> } = {},
): WebhookRequest {
  return { headers: { ...headers, [header]: `${prefix}${hmacSha256Hex(secret, body)}` }, rawBody: Buffer.from(body), now };
}
