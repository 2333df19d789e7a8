import { z } from 'zod';
import { httpUrl, timeoutMs } from '../config.ts';
import { secret } from '../secret.ts';
import { objectId } from './api.ts';

/** The languages Verifik's hosted capture speaks. */
export const LANGUAGES = ['en', 'es'] as const;

/** The `vendors.<id>` entry of type `verifik`, as a policy gives it. */
export const configSchema = z
  .object({
    type: z.literal('verifik'),
    baseUrl: httpUrl().optional(),
    accessToken: secret(),
    /** Optional: Verifik documents no signature; when set, unsigned webhooks are refused. */
    webhookSecret: secret().optional(),
    project: objectId,
    projectFlow: objectId,
    language: z.enum(LANGUAGES).default('en'),
    presentation: z.enum(['redirect', 'iframe']).default('redirect'),
    timeoutMs: timeoutMs(),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `verifik`. */
export type VerifikConfig = z.infer<typeof configSchema>;
