import type { Knex } from 'knex';
import { StepUpError } from '../errors.ts';
import { attemptStatus, type AttemptStatus } from '../policy/attempts.ts';
import type { AttemptLimits, Level } from '../policy/policy.ts';
import { rejectionTimes } from './repository.ts';

/**
 * Where an account stands against a level's attempt limits at `now`. Technical failures and timeouts are
 * not the person's failed attempts, so only rejected verifications count.
 */
export async function attemptsAt(knex: Knex, accountId: string, acr: string, limits: AttemptLimits, now: Date): Promise<AttemptStatus> {
  // A lockout still running, or one whose end decides what counts now, began at most this long ago.
  const lookback = 2 * limits.window + (limits.lockout ?? 0);
  return attemptStatus(limits, await rejectionTimes(knex, accountId, acr, new Date(now.getTime() - lookback * 1000)), now);
}

/** Throws `attempts_exceeded` when the account has no step-up left at the level now. */
export async function enforceAttempts(knex: Knex, accountId: string, level: Level, now: Date): Promise<void> {
  if (!level.attempts) return;
  const status = await attemptsAt(knex, accountId, level.acr, level.attempts, now);
  if (status.remaining === 0) {
    throw new StepUpError('attempts_exceeded', `too many unsuccessful attempts for ${level.acr}; try again later`, {
      window: level.attempts.window,
      retryAt: status.retryAt?.toISOString(),
    });
  }
}
