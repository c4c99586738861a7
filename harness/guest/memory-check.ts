import { GUEST_LAYOUT, type GuestLayout, walkedPages } from './layout.ts';

/**
 * What the page-neighbour check found in a dump of the walked range. The guest adds one to
 * the first byte of every page in order, so a consistent snapshot holds one value, or two
 * values a step of one apart (the pages the current pass already reached).
 */
export interface MemoryCheck {
  readonly intact: boolean;
  readonly pages: number;
  /** Number of places where a page is exactly one behind its predecessor (0 or 1 is healthy). */
  readonly edges: number;
  /** Pages that break the pattern (at most the first 16 are listed). */
  readonly badPages: ReadonlyArray<{ address: number; value: number; previous: number }>;
  readonly badPageCount: number;
  /** The first page's byte: 0 means the walk never ran over this memory. */
  readonly firstValue: number;
  readonly summary: string;
}

export function checkPageWalk(dump: Uint8Array, layout: GuestLayout = GUEST_LAYOUT): MemoryCheck {
  const pages = walkedPages(layout);
  if (dump.length < (pages - 1) * layout.pageSize + 1) {
    throw new Error(`memory dump too short: ${dump.length} bytes for ${pages} pages`);
  }
  const at = (page: number): number => dump[page * layout.pageSize] ?? 0;
  const badPages: Array<{ address: number; value: number; previous: number }> = [];
  let badPageCount = 0;
  let edges = 0;
  for (let page = 1; page < pages; page++) {
    const value = at(page);
    const previous = at(page - 1);
    if (value === previous) continue;
    // Bytes wrap at 256, so "one behind" is modular.
    if (((value + 1) & 0xff) === previous && edges === 0) {
      edges++;
      continue;
    }
    badPageCount++;
    if (badPages.length < 16) badPages.push({ address: layout.walkStart + page * layout.pageSize, value, previous });
  }
  const firstValue = at(0);
  const untouched = firstValue === 0 && at(pages - 1) === 0 && edges === 0;
  const intact = badPageCount === 0 && !untouched;
  const summary = intact
    ? `${pages} pages consistent (${edges} edge, first byte ${firstValue})`
    : untouched
      ? `${pages} pages all zero: the guest never walked this memory`
      : `${badPageCount} of ${pages} pages break the neighbour pattern, first at 0x${badPages[0]?.address.toString(16)}`;
  return { intact, pages, edges, badPages, badPageCount, firstValue, summary };
}

/** Reads the guest's own counters (little-endian u32 passes, then u32 boots). */
export function readCounters(bytes: Uint8Array): { passes: number; boots: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { passes: view.getUint32(0, true), boots: view.getUint32(4, true) };
}

export { GUEST_LAYOUT };
