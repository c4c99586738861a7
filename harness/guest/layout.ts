// Where the test guest keeps its state. One source of truth: the assembler gets these values
// as -D defines, and the memory check reads memory with them.

export const GUEST_LAYOUT = {
  /** Conventional memory the guest walks too, below the BIOS and above its own code and stack. */
  lowStart: 0x0001_0000, // 64 KiB
  lowEnd: 0x0009_0000, // 576 KiB
  walkStart: 0x0010_0000, // 1 MiB
  walkEnd: 0x0640_0000, // 100 MiB
  pageSize: 4096,
  /**
   * Bytes stamped in every page, in this order: every stampStride bytes from the page's start,
   * stampsPerPage of them, then the page's last byte. A page copied only in part (a torn or
   * stale copy) breaks the pattern inside the page, not only between pages.
   */
  stampStride: 1024,
  stampsPerPage: 4,
  countersAddress: 0x1000, // u32 passes, then u32 boots
  bootChar: 'A',
  passChar: 'B',
  /** RAM the guest needs: the walked range plus headroom for the BIOS. */
  memoryMiB: 128,
} as const;

export type GuestLayout = typeof GUEST_LAYOUT;

/** The disk-reading guest (diskwalk.asm) and the data disk it checks. */
export const DISK_LAYOUT = {
  sectors: 32768, // 16 MiB
  sectorSize: 512,
  /** Each sector's first dword is its number XOR this; the rest is zeros. */
  pattern: 0xa5a5a5a5,
  errorChar: 'E',
  zeroChar: 'Z',
  badChar: 'X',
} as const;

export type Workload = 'pagewalk' | 'diskwalk';

/** The walked regions, in the order the guest walks them. */
export const walkedRegions = (
  layout: GuestLayout = GUEST_LAYOUT,
): ReadonlyArray<{ readonly start: number; readonly end: number }> => [
  { start: layout.lowStart, end: layout.lowEnd },
  { start: layout.walkStart, end: layout.walkEnd },
];

export const walkedPages = (layout: GuestLayout = GUEST_LAYOUT): number =>
  walkedRegions(layout).reduce((n, r) => n + (r.end - r.start) / layout.pageSize, 0);

/** The offsets stamped in each page, in the order the guest stamps them. */
export const stampOffsets = (layout: GuestLayout = GUEST_LAYOUT): number[] => [
  ...Array.from({ length: layout.stampsPerPage }, (_, k) => k * layout.stampStride),
  layout.pageSize - 1,
];
