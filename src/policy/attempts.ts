import type { AttemptLimits } from './policy.ts';

/** Where one account stands against a level's attempt limits. */
export interface AttemptStatus {
  /** Rejections within the window. */
  used: number;
  /** Step-ups still allowed now (0 when locked). */
  remaining: number;
  /** When the next step-up becomes possible, while none is. */
  retryAt?: Date;
}

/**
 * Applies attempt limits to rejection times. Pure. Reaching `max` rejections within `window` refuses
 * step-ups: without `lockout` until enough of them leave the window; with it, for `lockout` after the
 * rejection that reached the limit, after which counting starts afresh.
 */
export function attemptStatus(limits: AttemptLimits, rejections: readonly Date[], now: Date): AttemptStatus {
  const windowMs = limits.window * 1000;
  const times = rejections
    .map((t) => t.getTime())
    .filter((t) => t <= now.getTime())
    .sort((a, b) => a - b);
  const inWindow = (end: number, from: number) => times.filter((t) => t >= from && t > end - windowMs && t <= end);
  let countFrom = -Infinity;
  if (limits.lockout !== undefined) {
    for (const t of times) {
      if (t < countFrom || inWindow(t, countFrom).length < limits.max) continue;
      countFrom = t + limits.lockout * 1000;
      if (countFrom > now.getTime()) return { used: limits.max, remaining: 0, retryAt: new Date(countFrom) };
    }
  }
  const counted = inWindow(now.getTime(), countFrom);
  if (counted.length < limits.max) return { used: counted.length, remaining: limits.max - counted.length };
  // An attempt frees up when enough of the oldest rejections have left the window.
  return { used: counted.length, remaining: 0, retryAt: new Date(counted[counted.length - limits.max]! + windowMs) };
}
