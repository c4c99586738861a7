import { DISK_LAYOUT } from './layout.ts';

/** A byte range of a disk image that holds data of its own (not read through a backing file). */
export interface Extent {
  readonly start: number;
  readonly length: number;
}

/** What the per-sector pattern check found in a data disk's own (allocated) sectors. */
export interface DiskCheck {
  readonly intact: boolean;
  readonly checkedSectors: number;
  readonly zeroSectors: number;
  /** Sectors holding data that is not theirs (first 16 listed, with the sector the data is from). */
  readonly wrongSectors: number;
  readonly wrong: ReadonlyArray<{ sector: number; holds: number }>;
  readonly summary: string;
}

/**
 * Checks the sectors of `image` (a raw view of the disk) that lie in `extents`: each must start
 * with its own number XOR the pattern, as the harness wrote it.
 */
export function checkDataDisk(image: Uint8Array, extents: ReadonlyArray<Extent>): DiskCheck {
  const { sectorSize, pattern } = DISK_LAYOUT;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  let checkedSectors = 0;
  let zeroSectors = 0;
  let wrongSectors = 0;
  const wrong: Array<{ sector: number; holds: number }> = [];
  for (const extent of extents) {
    for (
      let offset = extent.start;
      offset + 4 <= Math.min(extent.start + extent.length, image.byteLength);
      offset += sectorSize
    ) {
      const sector = offset / sectorSize;
      const value = view.getUint32(offset, true);
      checkedSectors++;
      if (value === (sector ^ pattern) >>> 0) continue;
      if (value === 0) zeroSectors++;
      else {
        wrongSectors++;
        if (wrong.length < 16) wrong.push({ sector, holds: (value ^ pattern) >>> 0 });
      }
    }
  }
  const intact = zeroSectors === 0 && wrongSectors === 0;
  const summary = intact
    ? `${checkedSectors} sectors of its own, all as written`
    : `${wrongSectors} sector(s) with another sector's data, ${zeroSectors} of zeros, of ${checkedSectors} of its own`;
  return { intact, checkedSectors, zeroSectors, wrongSectors, wrong, summary };
}
