import { z } from 'zod';
import { httpUrl, timeoutMs } from '../config.ts';
import { secret } from '../secret.ts';

/** The `vendors.<id>` entry of type `globalpass`, as a policy gives it. */
export const configSchema = z
  .object({
    type: z.literal('globalpass'),
    /** The screenings API. */
    baseUrl: httpUrl().optional(),
    /** The identity server issuing tokens (`/connect/token` under it); derived from `baseUrl` when absent. */
    identityUrl: httpUrl().optional(),
    /** The widget script the step-up page loads; derived from `baseUrl` when absent. */
    widgetScriptUrl: httpUrl().optional(),
    /** The portal's "API key". */
    clientId: z.string().min(1),
    /** The portal's "API secret". */
    clientSecret: secret(),
    webhookSecret: secret(),
    /** `v2`: HMAC in X-GP-Signature (GlobalPass's "V2 Delivery"); `v1`: the secret inside the body. */
    webhookMode: z.enum(['v2', 'v1']).default('v2'),
    timeoutMs: timeoutMs(),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `globalpass`. */
export type GlobalPassConfig = z.infer<typeof configSchema>;
