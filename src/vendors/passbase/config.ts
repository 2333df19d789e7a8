import { z } from 'zod';
import { httpUrl, timeoutMs } from '../config.ts';
import { secret } from '../secret.ts';

const KEY_BYTES = 32;

/** The `vendors.<id>` entry of type `passbase`, as a policy gives it. */
export const configSchema = z
  .object({
    type: z.literal('passbase'),
    baseUrl: httpUrl().optional(),
    /** Secret API key, sent as `X-API-KEY` on server calls. */
    apiKey: secret(),
    /** Publishable API key for the button; not a secret (it is sent to every browser). */
    publishableApiKey: z.string().min(1),
    /** Passbase's webhook encryption (dashboard setting); required, since approval rests on an authenticated event. */
    webhookEncryption: z
      .literal(true, {
        error: 'must be true: plain Passbase webhooks are unauthenticated, and an approval needs an authenticated IDENTITY_AUTHENTICATED',
      })
      .default(true),
    /** The 32-byte webhook encryption secret (its raw bytes are the AES-256 key). */
    webhookSecret: secret(),
    buttonScriptUrl: httpUrl().optional(),
    timeoutMs: timeoutMs(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (Buffer.byteLength(config.webhookSecret, 'utf8') !== KEY_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhookSecret'],
        message: `must be exactly ${KEY_BYTES} bytes: Passbase uses the secret's raw bytes as the AES-256 key`,
      });
    }
  });

/** A validated `vendors.<id>` entry of type `passbase`. */
export type PassbaseConfig = z.infer<typeof configSchema>;
