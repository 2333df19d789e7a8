import type { Knex } from 'knex';
import type { AttemptLimits, Level } from '../policy/policy.ts';

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
 * When the account's rejected verifications at a level were created, as far back as the limits can look.
 * Technical failures and timeouts are not the person's failed attempts, so only `rejected` counts.
 */
export async function rejectionTimes(knex: Knex, accountId: string, level: Level, now: Date): Promise<Date[]> {
  if (!level.attempts) return [];
  // A lockout still running, or one whose end decides what counts now, began at most this long ago.
  const lookback = 2 * level.attempts.window + (level.attempts.lockout ?? 0);
  const rows = await knex('verifications')
    .where({ account_id: accountId, acr: level.acr, state: 'rejected' })
    .where('created_at', '>=', new Date(now.getTime() - lookback * 1000))
    .select<Array<{ created_at: Date }>>('created_at');
  return rows.map((r) => new Date(r.created_at));
}

/**
 * Applies attempt limits to rejection times. Pure. Reaching `max` rejections within `window` refuses
 * step-ups: without `lockout` until enough of them leave the window; with it, for `lockout` after the
 * rejection that reached the limit, after which counting starts afresh.
 */
export function attemptStatus(limits: AttemptLimits, rejections: readonly Date[], now: Date): AttemptStatus {
  const windowMs = limits.window * 1000;
  const times = rejections.map((t) => t.getTime()).filter((t) => t <= now.getTime()).sort((a, b) => a - b);
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
