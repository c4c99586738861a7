import { describe, expect, it } from 'vitest';
import { checkDataDisk } from './disk-check.ts';
import { DISK_LAYOUT } from './layout.ts';

const disk = (sectors: number): Buffer => {
  const image = Buffer.alloc(sectors * DISK_LAYOUT.sectorSize);
  for (let s = 0; s < sectors; s++) image.writeUInt32LE((s ^ DISK_LAYOUT.pattern) >>> 0, s * DISK_LAYOUT.sectorSize);
  return image;
};

describe('data disk check', () => {
  it('passes a disk as written, checking only the extents given', () => {
    const image = disk(64);
    image.fill(0, 40 * 512, 64 * 512); // not in the extents: never read
    expect(checkDataDisk(image, [{ start: 0, length: 32 * 512 }])).toMatchObject({ intact: true, checkedSectors: 32 });
  });

  it("finds zeros, and sectors that hold another sector's data", () => {
    const image = disk(64);
    image.fill(0, 3 * 512, 4 * 512);
    disk(64).copy(image, 10 * 512, 9 * 512, 10 * 512); // sector 10 holds sector 9's data
    const check = checkDataDisk(image, [{ start: 0, length: 64 * 512 }]);
    expect(check).toMatchObject({ intact: false, zeroSectors: 1, wrongSectors: 1 });
    expect(check.wrong[0]).toEqual({ sector: 10, holds: 9 });
  });
});
