import type { PolicyIssue } from '../errors.ts';
import type { MissingScoreRule, Thresholds } from './schema.ts';

/** One level of a loaded policy, with its rank (0 = weakest). */
export interface Level {
  acr: string;
  aliases: string[];
  rank: number;
  description?: string;
  factor: 'password' | 'biometric';
  amr: string[];
  vendors: string[];
  /** The level's own score floors, as written. */
  thresholds: Thresholds;
  /**
   * The floors applied to each of the level's vendors: `thresholds` with that vendor's overrides, less the
   * scores it never reports when the level trusts verdicts (`onMissingScore: trust-verdict`).
   */
  vendorThresholds: Record<string, Thresholds>;
  onMissingScore: MissingScoreRule;
  /** Seconds since that level's last success after which it no longer satisfies a request. */
  maxAge?: number;
  captureTimeout: number;
  attempts?: AttemptLimits;
}

/** Rejected verifications allowed per account and level; durations in seconds. */
export interface AttemptLimits {
  max: number;
  window: number;
  lockout?: number;
}

/** A vendor as the person sees it on the step-up pages. */
export interface VendorDisplay {
  name: string;
  logo?: string;
}

/** Per-client rules. */
export interface ClientRule {
  minimumAcr?: string;
  allowedAcrs?: string[];
}

/** A validated, immutable policy: what decides levels, vendors and thresholds. */
export interface Policy {
  /** SHA-256 of the canonical encoding of the document as written (secrets stay references). */
  hash: string;
  file: string;
  /** The file's text as loaded (recorded in the ledger; secrets are references, never values). */
  source: string;
  levels: Level[];
  /** Every acr and alias → its level. */
  byAcr: ReadonlyMap<string, Level>;
  /** The host login level (`factor: password`). */
  passwordLevel: Level;
  /** Vendor configs with secrets resolved, validated by their adapters' schemas. */
  vendors: Record<string, { type: string } & Record<string, unknown>>;
  /** How the pages name each vendor, by id: the policy's `displayName`/`logo` or the adapter's own name. */
  display: Record<string, VendorDisplay>;
  clients: Record<string, ClientRule>;
  /** Problems that do not stop the policy from loading (limits above NIST guidance, legacy vendors). */
  warnings: PolicyIssue[];
}

/** The thresholds a level applies to one of its vendors. */
export function thresholdsFor(level: Level, vendorId: string): Thresholds {
  return level.vendorThresholds[vendorId] ?? level.thresholds;
}

/** How the pages name a vendor of `policy` (its id only if the policy somehow lacks it). */
export function vendorDisplay(policy: Policy, vendorId: string): VendorDisplay {
  return policy.display[vendorId] ?? { name: vendorId };
}
