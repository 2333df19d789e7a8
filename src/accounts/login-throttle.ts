import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from '../db/connect.ts';
import { sharedRateLimiter } from '../db/rate-limiter.ts';

/** How many failed sign-ins are tolerated, per username and per client address, in a window. */
export interface ThrottleLimits {
  perUsername: number;
  perAddress: number;
  windowSeconds: number;
}

const DEFAULT_LIMITS: ThrottleLimits = { perUsername: 10, perAddress: 50, windowSeconds: 15 * 60 };

/**
 * Slows password guessing: after too many failures for a username (or from an address) sign-ins are
 * refused until the window passes. Counters live in PostgreSQL when several instances share one; the
 * embedded PGlite database belongs to a single process, which keeps them in memory.
 */
export class LoginThrottle {
  readonly #byUsername: RateLimiterAbstract;
  readonly #byAddress: RateLimiterAbstract;

  constructor(db: Database, limits: ThrottleLimits = DEFAULT_LIMITS) {
    const make = (keyPrefix: string, points: number) => sharedRateLimiter(db, { keyPrefix, points, durationSeconds: limits.windowSeconds });
    this.#byUsername = make('login_user', limits.perUsername);
    this.#byAddress = make('login_addr', limits.perAddress);
  }

  /** Seconds until a sign-in for this username from this address may be tried again; 0 when allowed. */
  async retryAfter(username: string, address: string): Promise<number> {
    const [user, addr] = await Promise.all([this.#byUsername.get(key(username)), this.#byAddress.get(address)]);
    const blocked = [
      [user, this.#byUsername.points],
      [addr, this.#byAddress.points],
    ] as const;
    const waits = blocked
      .filter(([res, points]) => res && res.consumedPoints >= points)
      .map(([res]) => Math.ceil(res!.msBeforeNext / 1000));
    return waits.length > 0 ? Math.max(1, ...waits) : 0;
  }

  async failed(username: string, address: string): Promise<void> {
    // Rejections are expected here: consume() rejects once the budget is spent, which is the point.
    await Promise.allSettled([this.#byUsername.consume(key(username)), this.#byAddress.consume(address)]);
  }

  async succeeded(username: string): Promise<void> {
    await this.#byUsername.delete(key(username));
  }
}

const key = (username: string) => username.trim().toLowerCase();
