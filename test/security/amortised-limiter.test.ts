import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { AmortisedLimiter } from '../../src/db/rate-limiter.ts';

// Property: counting a busy source in memory between settlements never lets it past a budget it is near,
// and every request it made is counted in the shared budget within one settlement.

/** A shared limiter that counts how often it is asked, as each ask is a database round trip. */
function sharedCounting(points: number) {
  const limiter = new RateLimiterMemory({ points, duration: 60 });
  let asks = 0;
  const consume = limiter.consume.bind(limiter);
  limiter.consume = (key, spent) => {
    asks++;
    return consume(key, spent);
  };
  return { limiter, asks: () => asks };
}

const spent = async (limiter: RateLimiterMemory, key: string) => (await limiter.get(key))?.consumedPoints ?? 0;

describe('amortised rate limiting', () => {
  it('refuses the first request past a small budget, on each request, as the shared limiter would', async () => {
    const shared = sharedCounting(6);
    const limiter = new AmortisedLimiter(shared.limiter, 50);
    for (let i = 0; i < 6; i++) await limiter.consume('203.0.113.7');
    await expect(limiter.consume('203.0.113.7')).rejects.toBeInstanceOf(RateLimiterRes);
    expect(shared.asks()).toBe(7);
  });

  it('asks the shared store for a few of a busy source’s requests and still counts every one of them', async () => {
    const shared = sharedCounting(50_000);
    const limiter = new AmortisedLimiter(shared.limiter, 50);
    for (let i = 0; i < 2000; i++) await limiter.consume('198.51.100.1');
    expect(shared.asks()).toBeLessThan(200);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await spent(shared.limiter, '198.51.100.1')).toBe(2000);
  });

  it('stops a busy source at exactly its budget when one instance counts it', async () => {
    const shared = sharedCounting(5000);
    const limiter = new AmortisedLimiter(shared.limiter, 10_000);
    let admitted = 0;
    for (let i = 0; i < 6000; i++) {
      try {
        await limiter.consume('192.0.2.1');
        admitted++;
      } catch (outcome) {
        expect(outcome).toBeInstanceOf(RateLimiterRes);
      }
    }
    expect(admitted).toBe(5000);
  });
});
