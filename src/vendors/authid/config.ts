import { z } from 'zod';
import { httpUrl, timeoutMs } from '../config.ts';
import { secret } from '../secret.ts';

/** The two authID flows this adapter runs. */
export const AUTHID_OPERATIONS = ['Verify_Identity', 'GetForeignBiometry'] as const;

/** The `vendors.<id>` entry of type `authid`, as a policy gives it. */
export const configSchema = z
  .object({
    type: z.literal('authid'),
    baseUrl: httpUrl().optional(),
    apiKeyId: z.string().min(1),
    apiKeyValue: secret(),
    webhookSecret: secret().optional(),
    /** Where the person's browser opens the hosted capture; defaults to `baseUrl`, which authID uses for both. */
    hostedUrl: httpUrl().optional(),
    /** Where the browser loads `@authid/web-component`; defaults to its npm package on unpkg. */
    componentScriptUrl: httpUrl().optional(),
    /** Verify_Identity: 1:1 against the enrolled face (recommended); GetForeignBiometry: the seed's selfie capture. */
    operation: z.enum(AUTHID_OPERATIONS).default('Verify_Identity'),
    timeoutMs: timeoutMs(),
    pollIntervalSeconds: z.number().int().min(1).max(3600).default(5),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `authid`. */
export type AuthIdConfig = z.infer<typeof configSchema>;
