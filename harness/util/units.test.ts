import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from './units.ts';

describe('units', () => {
  it('reads durations', () => {
    expect(parseDuration('20s')).toBe(20_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5 s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
  it('reads sizes', () => {
    expect(parseSize('8GiB')).toBe(8 * 1024 ** 3);
    expect(parseSize('32MiB')).toBe(32 * 1024 ** 2);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('lots')).toBeUndefined();
  });
});
