import { z } from 'zod';
import { durationSchema } from './duration.ts';

const score = z.number().min(0).max(1);

/** Score floors on the normalised 0–1 scale; a level's floors may be overridden per vendor. */
export const thresholdsSchema = z.strictObject({ liveness: score.optional(), match: score.optional() });

/** One authentication level, weakest first in the `levels` list. */
export const levelSchema = z.strictObject({
  acr: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  description: z.string().optional(),
  /** `password` marks the host login level, satisfied by the login form. */
  factor: z.enum(['password', 'biometric']).default('biometric'),
  amr: z.array(z.string().min(1)).optional(),
  vendors: z.array(z.string().min(1)).default([]),
  thresholds: thresholdsSchema.default({}),
  vendorThresholds: z.record(z.string(), thresholdsSchema).default({}),
  maxAge: durationSchema.optional(),
  captureTimeout: durationSchema.default(600),
  attempts: z.strictObject({ max: z.number().int().positive(), window: durationSchema }).optional(),
});

/** Per-client rules applied whatever the client asks for. */
export const clientRuleSchema = z.strictObject({
  minimumAcr: z.string().min(1).optional(),
});

/** The policy document as written by an admin (before vendor configs are checked by their adapters). */
export const policyDocumentSchema = z.strictObject({
  version: z.literal(1),
  levels: z.array(levelSchema).min(1),
  vendors: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'vendor ids are lowercase letters, digits, - and _'), z.looseObject({ type: z.string().min(1) })).default({}),
  clients: z.record(z.string(), clientRuleSchema).default({}),
});

export type LevelInput = z.output<typeof levelSchema>;
export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type Thresholds = z.output<typeof thresholdsSchema>;
