// Where the test guest keeps its state. One source of truth: the assembler gets these values
// as -D defines, and the memory check reads memory with them.

export const GUEST_LAYOUT = {
  walkStart: 0x0010_0000, // 1 MiB
  walkEnd: 0x0640_0000, // 100 MiB
  pageSize: 4096,
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

export const walkedPages = (layout: GuestLayout = GUEST_LAYOUT): number =>
  (layout.walkEnd - layout.walkStart) / layout.pageSize;
