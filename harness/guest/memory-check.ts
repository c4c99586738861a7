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
 * change, between pages or inside one (a page copied only in part), is corruption. Memory is
 * fed in page-aligned chunks as it is read, so a 100 MiB dump is never held whole.
 */
export class PageWalkCheck {
  private readonly offsets: ReadonlyArray<number>;
  private readonly badPages: Array<{ address: number; value: number; previous: number }> = [];
  private readonly badPageAddresses = new Set<number>();
  private edges = 0;
  private pages = 0;
  private previous: number | undefined;
  private first: number | undefined;
  private last = 0;

  constructor(private readonly layout: GuestLayout = GUEST_LAYOUT) {
    this.offsets = stampOffsets(layout);
  }

  /** The next chunk of walked memory, at guest-physical `start` (page-aligned); a partial last page is ignored. */
  feed(start: number, bytes: Uint8Array): void {
    const { pageSize } = this.layout;
    const count = Math.floor(bytes.length / pageSize);
    for (let page = 0; page < count; page++) {
      this.pages++;
      for (const offset of this.offsets)
        this.stamp(start + page * pageSize, offset, bytes[page * pageSize + offset] ?? 0);
    }
  }

  private stamp(pageAddress: number, offset: number, value: number): void {
    this.first ??= value;
    this.last = value;
    const previous = this.previous;
    this.previous = value;
    if (previous === undefined || value === previous) return;
    // Bytes wrap at 256, so "one behind" is modular.
    if (((value + 1) & 0xff) === previous && this.edges === 0) {
      this.edges++;
      return;
    }
    this.badPageAddresses.add(pageAddress);
    if (this.badPages.length < 16) this.badPages.push({ address: pageAddress + offset, value, previous });
  }

  result(): MemoryCheck {
    const { pages, edges, badPages } = this;
    const badPageCount = this.badPageAddresses.size;
    const firstValue = this.first ?? 0;
    const untouched = firstValue === 0 && this.last === 0 && edges === 0;
    const intact = badPageCount === 0 && !untouched;
    const stamps = `${this.offsets.length} bytes each`;
    const summary = intact
      ? `${pages} pages consistent (${stamps}; ${edges} edge, first byte ${firstValue})`
      : untouched
        ? `${pages} pages all zero: the guest never walked this memory`
        : `${badPageCount} of ${pages} pages break the neighbour pattern (${stamps}), first at 0x${badPages[0]?.address.toString(16)}`;
    return { intact, pages, edges, badPages: [...badPages], badPageCount, firstValue, summary };
  }
}

/** The page-neighbour check over whole regions already read. */
export function checkPageWalk(regions: ReadonlyArray<RegionDump>, layout: GuestLayout = GUEST_LAYOUT): MemoryCheck {
  const check = new PageWalkCheck(layout);
  for (const region of regions) {
    if (region.bytes.length < layout.pageSize)
      throw new Error(`memory dump too short: ${region.bytes.length} bytes at 0x${region.start.toString(16)}`);
    check.feed(region.start, region.bytes);
  }
  return check.result();
}

/** Reads the guest's own counters (little-endian u32 passes, then u32 boots). */
export function readCounters(bytes: Uint8Array): { passes: number; boots: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { passes: view.getUint32(0, true), boots: view.getUint32(4, true) };
}

export { GUEST_LAYOUT };
