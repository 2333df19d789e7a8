import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../src/vendors/circuit-breaker.ts';

describe('vendor circuit breakers', () => {
  const clock = { t: 0 };
  const breakers = () => new CircuitBreakers({ threshold: 3, cooldownMs: 30_000, now: () => clock.t });

  it('opens after three consecutive failures and only for that vendor', () => {
    const b = breakers();
    b.failed('a');
    b.failed('a');
    expect(b.isOpen('a')).toBe(false);
    b.failed('a');
    expect(b.isOpen('a')).toBe(true);
    expect(b.isOpen('b')).toBe(false);
  });

  it('a success in between resets the count: only consecutive failures open it', () => {
    const b = breakers();
    b.failed('a');
    b.failed('a');
    b.succeeded('a');
    b.failed('a');
    expect(b.isOpen('a')).toBe(false);
  });

  it('lets one call through after the cool-down, and one more failure reopens it', () => {
    clock.t = 0;
    const b = breakers();
    for (let i = 0; i < 3; i++) b.failed('a');
    clock.t = 30_001;
    expect(b.isOpen('a')).toBe(false);
    b.failed('a');
    expect(b.isOpen('a')).toBe(true);
    clock.t = 60_002;
    b.succeeded('a');
    expect(b.isOpen('a')).toBe(false);
  });
});
