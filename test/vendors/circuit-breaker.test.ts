import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { VendorRefusedError, VendorUnavailableError } from '../../src/errors.ts';
import { CircuitBreakers } from '../../src/vendors/circuit-breaker.ts';

describe('vendor circuit breakers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const down = () => Promise.reject(new VendorUnavailableError('a', 'HTTP 503'));
  const up = () => Promise.resolve('ok');
  const breakers = () => new CircuitBreakers({ threshold: 3, cooldownMs: 30_000 });
  const failTimes = async (b: CircuitBreakers, n: number, vendor = 'a') => {
    for (let i = 0; i < n; i++) await b.run(vendor, down).catch(() => undefined);
  };

  it('opens after three consecutive failures, only for that vendor, and then refuses without calling', async () => {
    const b = breakers();
    await failTimes(b, 2);
    expect(b.isOpen('a')).toBe(false);
    await failTimes(b, 1);
    expect(b.isOpen('a')).toBe(true);
    expect(b.isOpen('b')).toBe(false);
    const call = vi.fn(up);
    await expect(b.run('a', call)).rejects.toThrow(/circuit open/);
    expect(call).not.toHaveBeenCalled();
    await expect(b.run('b', up)).resolves.toBe('ok');
  });

  it('a success in between resets the count: only consecutive failures open it', async () => {
    const b = breakers();
    await failTimes(b, 2);
    await b.run('a', up);
    await failTimes(b, 2);
    expect(b.isOpen('a')).toBe(false);
  });

  it('a refusal is an answer: it passes through and never opens the circuit', async () => {
    const b = breakers();
    for (let i = 0; i < 5; i++) {
      await expect(b.run('a', () => Promise.reject(new VendorRefusedError('a', 'NO_PORTRAIT', 'no portrait')))).rejects.toBeInstanceOf(
        VendorRefusedError,
      );
    }
    expect(b.isOpen('a')).toBe(false);
  });

  it('lets one trial call through after the cool-down; its failure reopens, its success closes', async () => {
    const b = breakers();
    await failTimes(b, 3);
    vi.advanceTimersByTime(30_001);
    expect(b.isOpen('a')).toBe(false);
    await failTimes(b, 1);
    expect(b.isOpen('a')).toBe(true);
    vi.advanceTimersByTime(30_001);
    await expect(b.run('a', up)).resolves.toBe('ok');
    expect(b.isOpen('a')).toBe(false);
  });
});
