import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GUEST_LAYOUT, stampOffsets, walkedPages, walkedRegions } from './layout.ts';
import { checkPageWalk, PageWalkCheck, readCounters, type RegionDump } from './memory-check.ts';

const offsets = stampOffsets();
const stampsInWalk = walkedPages() * offsets.length;

/**
 * The walked memory as the guest leaves it: the first `edgeAt` stamps (in walk order: low
 * memory, then from 1 MiB; each page's stamps in order) were bumped once more than the rest.
 */
function healthy(base: number, edgeAt: number): RegionDump[] {
  let stamp = 0;
  return walkedRegions().map(({ start, end }) => {
    const bytes = new Uint8Array(end - start);
    for (let page = 0; page < (end - start) / GUEST_LAYOUT.pageSize; page++) {
      for (const offset of offsets)
        bytes[page * GUEST_LAYOUT.pageSize + offset] = (stamp++ < edgeAt ? base + 1 : base) & 0xff;
    }
    return { start, bytes };
  });
}

/** The byte at a guest-physical address of the walked memory. */
function byteAt(regions: RegionDump[], address: number): { region: RegionDump; index: number } {
  const region = regions.find((r) => address >= r.start && address < r.start + r.bytes.length);
  if (!region) throw new Error(`0x${address.toString(16)} is not walked`);
  return { region, index: address - region.start };
}

const set = (regions: RegionDump[], address: number, value: number): void => {
  const { region, index } = byteAt(regions, address);
  region.bytes[index] = value;
};

describe('page-neighbour memory check, several bytes a page, low memory too', () => {
  it('accepts any healthy snapshot, the walk stopped at any stamp, byte wrap included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: stampsInWalk - 1 }), (base, edgeAt) => {
        expect(checkPageWalk(healthy(base, edgeAt)).intact).toBe(true);
      }),
      { numRuns: 10 },
    );
    expect(checkPageWalk(healthy(255, 100)).intact).toBe(true); // 0 after 255
    // Stopped in the middle of a page: its first stamps bumped, the rest not yet.
    expect(checkPageWalk(healthy(9, 5 * offsets.length + 2)).intact).toBe(true);
  });

  it('finds a page corrupted in its middle, and names the byte', () => {
    const regions = healthy(7, 300);
    const page = GUEST_LAYOUT.walkStart + 5000 * GUEST_LAYOUT.pageSize;
    set(regions, page + 2048, 42);
    const check = checkPageWalk(regions);
    expect(check.intact).toBe(false);
    expect(check.badPages[0]?.address).toBe(page + 2048);
    expect(check.summary).toMatch(/1 of \d+ pages break the neighbour pattern \(5 bytes each\)/);
  });

  it('finds a page copied only in part: its second half a pass behind (a torn copy)', () => {
    const regions = healthy(20, 0);
    const page = GUEST_LAYOUT.walkStart + 1234 * GUEST_LAYOUT.pageSize;
    for (const offset of offsets.filter((o) => o >= 2048)) set(regions, page + offset, 19);
    expect(checkPageWalk(regions).intact).toBe(false);
  });

  it('finds a corrupted page of low memory', () => {
    const regions = healthy(3, 0);
    set(regions, GUEST_LAYOUT.lowStart + 7 * GUEST_LAYOUT.pageSize, 200);
    const check = checkPageWalk(regions);
    expect(check.intact).toBe(false);
    expect(check.badPages[0]?.address).toBe(GUEST_LAYOUT.lowStart + 7 * GUEST_LAYOUT.pageSize);
  });

  it('finds a zeroed page range (lost pages), and a second edge (two walkers)', () => {
    const zeroed = healthy(9, 0);
    const high = zeroed[1] as RegionDump;
    high.bytes.fill(0, 1000 * GUEST_LAYOUT.pageSize, 1200 * GUEST_LAYOUT.pageSize);
    expect(checkPageWalk(zeroed).intact).toBe(false);
    const twoWalkers = healthy(20, 4000);
    for (let p = 10_000; p < 12_000; p++)
      for (const o of offsets) set(twoWalkers, GUEST_LAYOUT.walkStart + p * GUEST_LAYOUT.pageSize + o, 19);
    expect(checkPageWalk(twoWalkers).intact).toBe(false);
  });

  it('calls all-zero memory untouched, not intact', () => {
    const check = checkPageWalk(
      walkedRegions().map(({ start, end }) => ({ start, bytes: new Uint8Array(end - start) })),
    );
    expect(check.intact).toBe(false);
    expect(check.summary).toMatch(/never walked/);
  });

  it('finds the same fed a chunk at a time as read whole (a dump is never held whole)', () => {
    const regions = healthy(30, 777);
    set(regions, GUEST_LAYOUT.walkStart + 9000 * GUEST_LAYOUT.pageSize + 2048, 3);
    const chunked = new PageWalkCheck();
    for (const { start, bytes } of regions) {
      for (let at = 0; at < bytes.length; at += 64 * GUEST_LAYOUT.pageSize)
        chunked.feed(start + at, bytes.subarray(at, at + 64 * GUEST_LAYOUT.pageSize));
    }
    expect(chunked.result()).toEqual(checkPageWalk(regions));
    expect(chunked.result().intact).toBe(false);
  });

  it('reads the guest counters', () => {
    expect(readCounters(Uint8Array.from([3, 1, 0, 0, 1, 0, 0, 0]))).toEqual({ passes: 259, boots: 1 });
  });
});
