import type { Knex } from 'knex';
import type { Level } from '../policy/policy.ts';

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
