import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
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
