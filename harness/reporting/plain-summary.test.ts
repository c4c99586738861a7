import { describe, expect, it } from 'vitest';
import { slowestLines } from './plain-summary.ts';

describe('the slowest test files', () => {
  it('lists the ten slowest, slowest first, with their seconds and project', () => {
    const files = Array.from({ length: 12 }, (_, i) => ({
      file: `harness/f${i}.test.ts`,
      project: i === 11 ? 'first' : 'unit',
      ms: i * 1000 + 140,
    }));
    const lines = slowestLines(files);
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('the 10 slowest of 12 test files:');
    expect(lines[1]).toBe('    11.1 s  first  harness/f11.test.ts');
    expect(lines[10]).toBe('     2.1 s  unit   harness/f2.test.ts');
  });

  it('prints nothing when no file ran', () => {
    expect(slowestLines([])).toEqual([]);
  });
});
