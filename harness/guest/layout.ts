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

export const walkedPages = (layout: GuestLayout = GUEST_LAYOUT): number =>
  (layout.walkEnd - layout.walkStart) / layout.pageSize;
