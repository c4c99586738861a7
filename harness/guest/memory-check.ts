import { GUEST_LAYOUT, stampOffsets, type GuestLayout } from './layout.ts';

/**
 * What the page-neighbour check found in the walked memory. The guest adds one to several
 * bytes of every page in order, so a consistent snapshot holds one value, or two values a
 * step of one apart (the bytes the current pass already reached).
 */
export interface MemoryCheck {
  readonly intact: boolean;
  readonly pages: number;
  /** Number of places where a stamp is exactly one behind the one before it (0 or 1 is healthy). */
  readonly edges: number;
  /** Stamped bytes that break the pattern, by address (at most the first 16 are listed). */
  readonly badPages: ReadonlyArray<{ address: number; value: number; previous: number }>;
  readonly badPageCount: number;
  /** The first stamp's byte: 0 means the walk never ran over this memory. */
  readonly firstValue: number;
  readonly summary: string;
}

/** A walked region of guest memory, as read back. */
export interface RegionDump {
  readonly start: number;
  readonly bytes: Uint8Array;
}

/**
 * The page-neighbour check over every stamped byte, in the order the guest stamps them (low
 * memory, then from 1 MiB; in each page its stamps in order). A consistent snapshot holds one
 * value, or two a step of one apart where the walk was when the guest stopped: any other
 * change, between pages or inside one (a page copied only in part), is corruption.
 */
export function checkPageWalk(regions: ReadonlyArray<RegionDump>, layout: GuestLayout = GUEST_LAYOUT): MemoryCheck {
  const offsets = stampOffsets(layout);
  const badPages: Array<{ address: number; value: number; previous: number }> = [];
  let badPageCount = 0;
  let edges = 0;
  let pages = 0;
  let previous: number | undefined;
  let first: number | undefined;
  let last = 0;
  const badPageAddresses = new Set<number>();
  for (const region of regions) {
    const count = Math.floor(region.bytes.length / layout.pageSize);
    if (count === 0) throw new Error(`memory dump too short: ${region.bytes.length} bytes at 0x${region.start.toString(16)}`);
    for (let page = 0; page < count; page++) {
      pages++;
      for (const offset of offsets) {
        const value = region.bytes[page * layout.pageSize + offset] ?? 0;
        first ??= value;
        last = value;
        if (previous === undefined || value === previous) {
          previous = value;
          continue;
        }
        // Bytes wrap at 256, so "one behind" is modular.
        if (((value + 1) & 0xff) === previous && edges === 0) {
          edges++;
          previous = value;
          continue;
        }
        const pageAddress = region.start + page * layout.pageSize;
        if (!badPageAddresses.has(pageAddress)) {
          badPageAddresses.add(pageAddress);
          badPageCount++;
        }
        if (badPages.length < 16) badPages.push({ address: pageAddress + offset, value, previous });
        previous = value;
      }
    }
  }
  const firstValue = first ?? 0;
  const untouched = firstValue === 0 && last === 0 && edges === 0;
  const intact = badPageCount === 0 && !untouched;
  const stamps = `${offsets.length} bytes each`;
  const summary = intact
    ? `${pages} pages consistent (${stamps}; ${edges} edge, first byte ${firstValue})`
    : untouched
      ? `${pages} pages all zero: the guest never walked this memory`
      : `${badPageCount} of ${pages} pages break the neighbour pattern (${stamps}), first at 0x${badPages[0]?.address.toString(16)}`;
  return { intact, pages, edges, badPages, badPageCount, firstValue, summary };
}

/** Reads the guest's own counters (little-endian u32 passes, then u32 boots). */
export function readCounters(bytes: Uint8Array): { passes: number; boots: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { passes: view.getUint32(0, true), boots: view.getUint32(4, true) };
}

export { GUEST_LAYOUT };
