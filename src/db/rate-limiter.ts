import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from './connect.ts';

/** How many points a key may spend in a window. */
export interface RateLimit {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/**
 * A rate-limiter-flexible limiter whose counters every instance shares: in the `rate_limits` table on
 * PostgreSQL, in memory on the embedded PGlite database (which belongs to a single process). On
 * PostgreSQL a key that has spent its points is then refused from memory for the rest of its window,
 * and counting falls back to memory while the database cannot answer, rather than refusing everyone.
 */
export function sharedRateLimiter(db: Database, limit: RateLimit): RateLimiterAbstract {
  const common = { keyPrefix: limit.keyPrefix, points: limit.points, duration: limit.durationSeconds };
  if (db.engine !== 'postgres') return new RateLimiterMemory(common);
  return new RateLimiterPostgres({
    ...common,
    storeClient: db.knex,
    storeType: 'knex',
    tableName: 'rate_limits',
    tableCreated: true,
    schemaName: db.schema,
    inMemoryBlockOnConsumed: limit.points,
    insuranceLimiter: new RateLimiterMemory(common),
  });
}

/** Below this many points left in a key's window every request is counted in the shared store at once. */
const EXACT_BELOW = 1000;
/** Of the points left, the share an instance may count in memory before it settles with the shared store. */
const LOCAL_SHARE = 16;

interface KeyState {
  /** Points left in the window at the last settlement, and when that window ends. */
  remaining: number;
  resetAt: number;
  /** Requests counted here since, not yet settled. */
  pending: number;
}

/**
 * Puts a shared limiter behind a local count, so a busy key does not cost a database round trip per
 * request. Near its budget (fewer than EXACT_BELOW points left, as for any small limit) a key is counted in
 * the shared store at each request, exactly as without this; far from it, an instance counts up to 1/16 of
 * what was left in memory and settles the sum with the shared store every `settleMs` or when that share
 * is spent. So every instance's requests still count against one budget, and one settlement late at most.
 */
export class AmortisedLimiter {
  readonly #shared: RateLimiterAbstract;
  readonly #settleMs: number;
  readonly #keys = new Map<string, KeyState>();
  #timer: NodeJS.Timeout | undefined;

  constructor(shared: RateLimiterAbstract, settleMs = 100) {
    this.#shared = shared;
    this.#settleMs = settleMs;
  }

  /** Spends a point of `key`; rejects with a RateLimiterRes when the budget is spent, as the shared limiter does. */
  async consume(key: string): Promise<void> {
    const state = this.#keys.get(key);
    const now = Date.now();
    if (state && now < state.resetAt && state.remaining >= EXACT_BELOW && state.pending + 1 <= state.remaining / LOCAL_SHARE) {
      state.pending++;
      this.#timer ??= setTimeout(() => void this.#settleAll(), this.#settleMs).unref();
      return;
    }
    await this.#settle(key, (state && now < state.resetAt ? state.pending : 0) + 1);
  }

  async #settleAll(): Promise<void> {
    this.#timer = undefined;
    await Promise.all(
      [...this.#keys]
        .filter(([, state]) => state.pending > 0)
        .map(([key, state]) => this.#settle(key, state.pending).catch(() => undefined)),
    );
  }

  async #settle(key: string, points: number): Promise<void> {
    const state = this.#keys.get(key);
    if (state) state.pending -= Math.min(points, state.pending);
    try {
      this.#remember(key, await this.#shared.consume(key, points));
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) this.#remember(key, outcome);
      throw outcome;
    }
  }

  #remember(key: string, res: RateLimiterRes): void {
    const state = this.#keys.get(key);
    const pending = state?.pending ?? 0;
    // Forget idle keys as their windows end, so the map holds only recent sources.
    for (const [k, s] of this.#keys) if (s.resetAt <= Date.now() && s.pending === 0) this.#keys.delete(k);
    this.#keys.set(key, { remaining: res.remainingPoints, resetAt: Date.now() + res.msBeforeNext, pending });
  }
}
