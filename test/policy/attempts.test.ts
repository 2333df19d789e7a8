import { describe, expect, it } from 'vitest';
import { attemptStatus } from '../../src/policy/attempts.ts';

const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

describe('attempt limits', () => {
  it.each([
    ['no rejections', { max: 3, window: 900 }, [], { used: 0, remaining: 3 }],
    ['rejections inside the window count', { max: 3, window: 900 }, [ago(1), ago(14)], { used: 2, remaining: 1 }],
    ['rejections older than the window do not', { max: 3, window: 900 }, [ago(1), ago(16), ago(20)], { used: 1, remaining: 2 }],
    [
      'at the limit: refused until the oldest counted rejection leaves the window',
      { max: 2, window: 900 },
      [ago(1), ago(5)],
      { used: 2, remaining: 0, retryAt: at(10) },
    ],
    [
      'over the limit (concurrent attempts): the max-th newest decides',
      { max: 2, window: 900 },
      [ago(1), ago(2), ago(5)],
      { used: 3, remaining: 0, retryAt: at(13) },
    ],
    [
      'lockout: refused for the lockout after the rejection that reached the limit',
      { max: 2, window: 900, lockout: 3600 },
      [ago(1), ago(5)],
      { used: 2, remaining: 0, retryAt: at(59) },
    ],
    [
      'lockout outlasting the window',
      { max: 2, window: 300, lockout: 3600 },
      [ago(20), ago(22)],
      { used: 2, remaining: 0, retryAt: at(40) },
    ],
    [
      'after a lockout, counting starts afresh',
      { max: 2, window: 900, lockout: 300 },
      [ago(3), ago(12), ago(14)],
      { used: 1, remaining: 1 },
    ],
    ['rejections dated after now are ignored', { max: 2, window: 900 }, [at(1)], { used: 0, remaining: 2 }],
  ])('%s', (_name, limits, rejections, expected) => {
    expect(attemptStatus(limits, rejections, NOW)).toEqual(expected);
  });
});
