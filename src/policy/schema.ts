import { z } from 'zod';
import { durationSchema } from './duration.ts';

const score = z.number().min(0).max(1);

// acr_values is space-separated, so an acr with whitespace could never be requested.
const acrValue = z.string().regex(/^\S+$/, 'an acr is one word or URI without spaces (acr_values is space-separated)');

/** Score floors on the normalised 0–1 scale; a level's floors may be overridden per vendor. */
export const thresholdsSchema = z
  .strictObject({
    liveness: score.optional().describe('Lowest liveness (presentation attack detection) score accepted, 0–1'),
    match: score.optional().describe('Lowest face match score accepted, 0–1'),
  })
  .describe('Score floors on the normalised 0–1 scale; a vendor approval below them is a rejection');

/** What a level does with a vendor that gives a verdict but not the score a threshold asks for. */
export const MISSING_SCORE_RULES = ['reject', 'trust-verdict'] as const;

/** One authentication level, weakest first in the `levels` list. */
export const levelSchema = z
  .strictObject({
    acr: acrValue.describe('The acr this level grants and answers to'),
    aliases: z.array(acrValue).default([]).describe('Other acr values that request this level (phr, REFEDS MFA, eIDAS, NIST AAL URIs)'),
    description: z.string().optional().describe('What the level means, for admins and `policy explain`'),
    factor: z
      .enum(['password', 'biometric'])
      .default('biometric')
      .describe('`password` marks the host login level, satisfied by the login form'),
    amr: z.array(z.string().min(1)).optional().describe('RFC 8176 methods this level adds (default: pwd or face)'),
    vendors: z
      .array(z.string().min(1))
      .default([])
      .describe('Configured vendor ids, most preferred first; the next is tried only when one is down'),
    thresholds: thresholdsSchema.default({}),
    vendorThresholds: z
      .record(z.string(), thresholdsSchema)
      .default({})
      .describe('Per-vendor overrides of `thresholds` (vendor scales differ)'),
    onMissingScore: z
      .enum(MISSING_SCORE_RULES)
      .default('reject')
      .describe('`trust-verdict` accepts the approval of a vendor that reports no score for a threshold (verdict-only vendors)'),
    maxAge: durationSchema.optional().describe('How long a success at this level satisfies requests for it (90s, 15m, 12h)'),
    captureTimeout: durationSchema.default(600).describe('How long the person has to finish the vendor capture'),
    attempts: z
      .strictObject({
        max: z.number().int().positive().describe('Rejected verifications allowed within `window`'),
        window: durationSchema.describe('The period over which rejections are counted'),
        lockout: durationSchema
          .optional()
          .describe('How long step-ups at this level are refused once `max` is reached (default: until the window frees an attempt)'),
      })
      .optional()
      .describe('Attempt limits; NIST SP 800-63B-4 allows at most 5 consecutive failures, 10 with liveness detection'),
  })
  .describe('One authentication level');

/** Per-client rules applied whatever the client asks for. */
export const clientRuleSchema = z
  .strictObject({
    minimumAcr: acrValue.optional().describe('Applied when the client asks for a weaker level or for none'),
    allowedAcrs: z
      .array(acrValue)
      .min(1)
      .optional()
      .describe('The only levels (by acr or alias) this client may ask for; others are treated as unknown'),
  })
  .describe('Rules for one client_id');

/** Vendor ids appear in URLs (webhooks) and the ledger, so they are kept simple. */
export const VENDOR_ID = /^[a-z][a-z0-9_-]*$/;

/**
 * Fields every vendor entry may carry whatever its adapter: how the step-up pages name the vendor to the
 * person. The loader takes them out before the adapter's own (strict) schema checks the rest.
 */
export const vendorDisplaySchema = z.strictObject({
  displayName: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .optional()
    .describe("The vendor's name as people see it on the step-up pages (default: the vendor's own spelling, e.g. GlobalPass)"),
  logo: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe("URL of a small logo shown next to the name on the step-up page (an image the page's CSP then allows)"),
});

/** The policy document as written by an admin (before vendor configs are checked by their adapters). */
export const policyDocumentSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Editor hint (JSON policies); ignored'),
    version: z.literal(1),
    levels: z.array(levelSchema).min(1).describe('Levels from weakest to strongest; a session at a level satisfies every weaker one'),
    vendors: z
      .record(
        z.string().regex(VENDOR_ID, 'vendor ids are lowercase letters, digits, - and _, starting with a letter'),
        z.looseObject({ type: z.string().min(1), ...vendorDisplaySchema.shape }),
      )
      .default({})
      .describe('One entry per configured vendor; `type` names the adapter, the rest is its configuration'),
    clients: z.record(z.string(), clientRuleSchema).default({}).describe('Per-client rules, by client_id'),
  })
  .describe('Step-up policy of oidc-biometric-step-up');

export type LevelInput = z.output<typeof levelSchema>;
export type VendorDisplayInput = z.output<typeof vendorDisplaySchema>;
export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type Thresholds = z.output<typeof thresholdsSchema>;
export type MissingScoreRule = (typeof MISSING_SCORE_RULES)[number];
