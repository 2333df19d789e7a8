import { z } from 'zod';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses `90s`, `15m`, `12h`, `1d` or a plain number of seconds; returns seconds, or null when malformed.
 * A sign is read so that `-5m` is reported as not positive rather than as unreadable.
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([smhd])\s*$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

/** A positive human duration, parsed to whole seconds (rounded up, so no positive duration becomes 0). */
export const durationSchema = z
  .union([z.string(), z.number()], { error: 'expected a duration such as 90s, 15m, 12h or 1d' })
  .transform((v, ctx) => {
    const seconds = parseDuration(v);
    if (seconds === null) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 15m, 12h or 1d, found ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (seconds <= 0) {
      ctx.addIssue({ code: 'custom', message: `a duration must be positive, found ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return Math.ceil(seconds);
  });

/** Seconds as the shortest exact human duration (`900` → `15m`), the form policies are written in. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of Object.entries(UNIT_SECONDS).reverse()) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}
