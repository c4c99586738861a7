import { closeSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';

// The emulated QEMU's disk images. A raw image is a raw file, as QEMU's. An overlay
// (what `qemu-img create -f qcow2` makes on an emulated host) is not qcow2: a small file
// format of the emulator's own that keeps what qcow2 keeps for the harness, which sectors
// the image holds itself (an allocation bitmap) and their data. The emulated qemu-img
// (img-main.ts) makes, maps and converts it, so the harness's own reading of a disk
// (observation/disk-image.ts) works on it unchanged.

export const SECTOR = 512;
const MAGIC = 'cutover emulated qcow2\n';
/** The header: the magic and a JSON line with the virtual size. */
const HEADER = 4096;

const bitmapBytes = (sectors: number): number => Math.ceil(Math.ceil(sectors / 8) / HEADER) * HEADER;

/** A disk image opened read-write: its sectors, and which of them it holds itself. */
export interface Image {
  readonly sectors: number;
  readonly format: 'raw' | 'qcow2';
  /** Whether the image holds `sector` itself (a raw image holds all). */
  allocated(sector: number): boolean;
  /** The sectors from `sector`; those an overlay does not hold read as zeros. */
  read(sector: number, count: number): Buffer;
  write(sector: number, data: Buffer): void;
  close(): void;
}

export class RawImage implements Image {
  readonly format = 'raw';
  readonly sectors: number;
  private readonly fd: number;

  constructor(
    readonly path: string,
    writable = true,
  ) {
    this.fd = openSync(path, writable ? 'r+' : 'r');
    this.sectors = Math.floor(statSync(path).size / SECTOR);
  }

  allocated(): boolean {
    return true;
  }

  read(sector: number, count: number): Buffer {
    const bytes = Buffer.alloc(count * SECTOR);
    readSync(this.fd, bytes, 0, bytes.length, sector * SECTOR);
    return bytes;
  }

  write(sector: number, data: Buffer): void {
    writeSync(this.fd, data, 0, data.length, sector * SECTOR);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class OverlayImage implements Image {
  readonly format = 'qcow2';
  readonly sectors: number;
  private readonly fd: number;
  private readonly bitmap: Buffer;
  private readonly dataStart: number;

  /** `qemu-img create -f qcow2 <path> <size>`: an empty overlay of `size` bytes. */
  static create(path: string, size: number): void {
    const sectors = Math.ceil(size / SECTOR);
    const fd = openSync(path, 'w');
    try {
      const header = Buffer.alloc(HEADER);
      header.write(`${MAGIC}${JSON.stringify({ size: sectors * SECTOR })}\n`);
      writeSync(fd, header, 0, HEADER, 0);
      ftruncateSync(fd, HEADER + bitmapBytes(sectors) + sectors * SECTOR);
    } finally {
      closeSync(fd);
    }
  }

  /** Whether the file at `path` is such an overlay. */
  static is(path: string): boolean {
    const fd = openSync(path, 'r');
    try {
      const magic = Buffer.alloc(MAGIC.length);
      readSync(fd, magic, 0, magic.length, 0);
      return magic.toString() === MAGIC;
    } finally {
      closeSync(fd);
    }
  }

  constructor(
    readonly path: string,
    writable = true,
  ) {
    if (!OverlayImage.is(path)) throw new Error(`Image is not in qcow2 format`);
    this.fd = openSync(path, writable ? 'r+' : 'r');
    const header = Buffer.alloc(HEADER);
    readSync(this.fd, header, 0, HEADER, 0);
    const meta = JSON.parse(header.toString('utf8', MAGIC.length, header.indexOf(0x0a, MAGIC.length))) as {
      size: number;
    };
    this.sectors = Math.ceil(meta.size / SECTOR);
    this.bitmap = Buffer.alloc(bitmapBytes(this.sectors));
    readSync(this.fd, this.bitmap, 0, this.bitmap.length, HEADER);
    this.dataStart = HEADER + this.bitmap.length;
  }

  allocated(sector: number): boolean {
    return ((this.bitmap[sector >> 3] ?? 0) & (1 << (sector & 7))) !== 0;
  }

  read(sector: number, count: number): Buffer {
    const bytes = Buffer.alloc(count * SECTOR);
    readSync(this.fd, bytes, 0, bytes.length, this.dataStart + sector * SECTOR);
    for (let i = 0; i < count; i++) if (!this.allocated(sector + i)) bytes.fill(0, i * SECTOR, (i + 1) * SECTOR);
    return bytes;
  }

  write(sector: number, data: Buffer): void {
    writeSync(this.fd, data, 0, data.length, this.dataStart + sector * SECTOR);
    const count = Math.ceil(data.length / SECTOR);
    for (let s = sector; s < sector + count; s++) this.bitmap[s >> 3] = (this.bitmap[s >> 3] ?? 0) | (1 << (s & 7));
    const first = sector >> 3;
    const last = (sector + count - 1) >> 3;
    writeSync(this.fd, this.bitmap, first, last - first + 1, HEADER + first);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function openImage(path: string, format: 'raw' | 'qcow2', writable = true): Image {
  return format === 'qcow2' ? new OverlayImage(path, writable) : new RawImage(path, writable);
}

/** Runs of sectors an image holds itself, and of those it does not: `qemu-img map`'s extents. */
export function allocationMap(image: Image): Array<{ start: number; length: number; data: boolean }> {
  const runs: Array<{ start: number; length: number; data: boolean }> = [];
  for (let sector = 0; sector < image.sectors; sector++) {
    const data = image.allocated(sector);
    const last = runs.at(-1);
    if (last && last.data === data) last.length += SECTOR;
    else runs.push({ start: sector * SECTOR, length: SECTOR, data });
  }
  return runs;
}
