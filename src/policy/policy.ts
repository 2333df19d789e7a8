import type { Thresholds } from './schema.ts';

/** One level of a loaded policy, with its rank (0 = weakest). */
export interface Level {
  acr: string;
  aliases: string[];
  rank: number;
  description?: string;
  factor: 'password' | 'biometric';
  amr: string[];
  vendors: string[];
  thresholds: Thresholds;
  vendorThresholds: Record<string, Thresholds>;
  /** Seconds since that level's last success after which it no longer satisfies a request. */
  maxAge?: number;
  captureTimeout: number;
  attempts?: { max: number; window: number };
}

/** A validated, immutable policy: what decides levels, vendors and thresholds. */
export interface Policy {
  /** SHA-256 of the canonical encoding of the document as written (secrets stay references). */
  hash: string;
  file: string;
  levels: Level[];
  /** Every acr and alias → its level. */
  byAcr: ReadonlyMap<string, Level>;
  /** The host login level (`factor: password`). */
  passwordLevel: Level;
  /** Vendor configs with secrets resolved, validated by their adapters' schemas. */
  vendors: Record<string, { type: string } & Record<string, unknown>>;
  clients: Record<string, { minimumAcr?: string }>;
}

/** The thresholds a level applies to one vendor (per-vendor overrides win). */
export function thresholdsFor(level: Level, vendorId: string): Thresholds {
  return { ...level.thresholds, ...level.vendorThresholds[vendorId] };
}
