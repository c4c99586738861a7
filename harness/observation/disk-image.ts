import { readFile, rm } from 'node:fs/promises';
import type { Host } from '../hosts/types.ts';
import type { Extent } from '../guest/disk-check.ts';

/** A guest's data disk as it lies in its host's folder (which the harness sees at that path). */
export interface DiskImage {
  readonly path: string;
  readonly format: 'raw' | 'qcow2';
}

interface MapEntry {
  readonly start: number;
  readonly length: number;
  readonly data: boolean;
  readonly depth?: number;
}

async function qemuImg(host: Host, args: string[]): Promise<string> {
  const result = await host.exec(['qemu-img', ...args], { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`qemu-img ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * The image's own sectors (not those it would read through a backing file, which may be gone)
 * and a raw copy to read them from, made on the image's host (whose folder the harness sees
 * at the same path). -U: the guest's QEMU may still hold the image open.
 */
export async function readDiskImage(
  host: Host,
  image: DiskImage,
  scratch: string,
): Promise<{ raw: Buffer; extents: Extent[] }> {
  const map = JSON.parse(
    await qemuImg(host, ['map', '-U', '--output=json', '-f', image.format, image.path]),
  ) as MapEntry[];
  const extents = map.filter((e) => e.data && (e.depth ?? 0) === 0).map(({ start, length }) => ({ start, length }));
  await qemuImg(host, ['convert', '-U', '-f', image.format, '-O', 'raw', image.path, scratch]);
  try {
    return { raw: await readFile(scratch), extents };
  } finally {
    await rm(scratch, { force: true });
  }
}
