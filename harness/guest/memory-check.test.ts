import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GUEST_LAYOUT, walkedPages } from './layout.ts';
import { checkPageWalk, readCounters } from './memory-check.ts';

const pages = walkedPages();
const size = pages * GUEST_LAYOUT.pageSize;

/** A dump as the guest leaves it: pages before `edgeAt` were bumped once more. */
function healthyDump(base: number, edgeAt: number): Uint8Array {
  const dump = new Uint8Array(size);
  for (let p = 0; p < pages; p++) dump[p * GUEST_LAYOUT.pageSize] = (p < edgeAt ? base + 1 : base) & 0xff;
  return dump;
}

describe('page-neighbour memory check', () => {
  it('accepts any healthy snapshot, byte wrap included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: pages - 1 }), (base, edgeAt) => {
        expect(checkPageWalk(healthyDump(base, edgeAt)).intact).toBe(true);
      }),
      { numRuns: 10 },
    );
    expect(checkPageWalk(healthyDump(255, 100)).intact).toBe(true); // 0 after 255
  });

  it('finds a corrupted page', () => {
    const dump = healthyDump(7, 300);
    dump[5000 * GUEST_LAYOUT.pageSize] = 42;
    const check = checkPageWalk(dump);
    expect(check.intact).toBe(false);
    expect(check.badPages[0]?.address).toBe(GUEST_LAYOUT.walkStart + 5000 * GUEST_LAYOUT.pageSize);
  });

  it('finds a zeroed page range (lost pages)', () => {
    const dump = healthyDump(9, 0);
    dump.fill(0, 1000 * GUEST_LAYOUT.pageSize, 1200 * GUEST_LAYOUT.pageSize);
    expect(checkPageWalk(dump).intact).toBe(false);
  });

  it('finds a second edge (two walkers, or a torn copy)', () => {
    const dump = healthyDump(20, 4000);
    for (let p = 10_000; p < 12_000; p++) dump[p * GUEST_LAYOUT.pageSize] = 19;
    expect(checkPageWalk(dump).intact).toBe(false);
  });

  it('calls all-zero memory untouched, not intact', () => {
    const check = checkPageWalk(new Uint8Array(size));
    expect(check.intact).toBe(false);
    expect(check.summary).toMatch(/never walked/);
  });

  it('reads the guest counters', () => {
    expect(readCounters(Uint8Array.from([3, 1, 0, 0, 1, 0, 0, 0]))).toEqual({ passes: 259, boots: 1 });
  });
});
