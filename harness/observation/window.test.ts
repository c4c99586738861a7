import { describe, expect, it } from 'vitest';
import { NO_KEEPALIVE_WATCH_MS, watchBound } from './window.ts';

describe('how long both sides are watched after a migration ends', () => {
  it('is the longest keepalive bound among the hosts: interval x (count + 1)', () => {
    expect(
      watchBound({ alpha: { keepalive: { interval: 5, count: 5 } }, beta: { keepalive: { interval: 1, count: 3 } } }),
    ).toEqual({ ms: 30_000, basis: 'the keepalive bound of alpha, 5 s x (5 + 1)' });
  });
  it('is a fixed watch where no host keeps a keepalive (QEMU alone, or keepalive turned off)', () => {
    expect(watchBound({ alpha: {}, beta: { keepalive: { interval: -1, count: 5 } } }).ms).toBe(NO_KEEPALIVE_WATCH_MS);
  });
});
