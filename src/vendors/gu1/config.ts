import { z } from 'zod';
import { httpUrl, timeoutMs } from '../config.ts';
import { secret } from '../secret.ts';

/** The `vendors.<id>` entry of type `gu1`, as a policy gives it. */
export const configSchema = z
  .object({
    type: z.literal('gu1'),
    baseUrl: httpUrl().optional(),
    apiKey: secret(),
    webhookSecret: secret(),
    organizationId: z.string().min(1).optional(),
    language: z.string().min(1).default('en'),
    workflowId: z.string().min(1).optional(),
    presentation: z.enum(['iframe', 'redirect']).default('iframe'),
    timeoutMs: timeoutMs(),
  })
  .strict();

/** A validated `vendors.<id>` entry of type `gu1`. */
export type Gu1Config = z.infer<typeof configSchema>;
