import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UsageError } from '../util/errors.ts';
import { DISK_LAYOUT, GUEST_LAYOUT, type Workload } from './layout.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = join(here, 'build');
/** What every guest includes (real mode to protected mode): part of each image's hash. */
const SHARED_INCLUDE = join(here, 'boot32.inc');

/** Each workload's boot sector and the assembler values it is built with. */
const WORKLOADS: Record<Workload, { source: string; defines: string[] }> = {
  pagewalk: {
    source: join(here, 'pagewalk.asm'),
    defines: [
      `-DLOW_START=${GUEST_LAYOUT.lowStart}`,
      `-DLOW_END=${GUEST_LAYOUT.lowEnd}`,
      `-DWALK_START=${GUEST_LAYOUT.walkStart}`,
      `-DWALK_END=${GUEST_LAYOUT.walkEnd}`,
      `-DSTAMP_STRIDE=${GUEST_LAYOUT.stampStride}`,
      `-DSTAMPS_PER_PAGE=${GUEST_LAYOUT.stampsPerPage}`,
    ],
  },
  diskwalk: {
    source: join(here, 'diskwalk.asm'),
    defines: [`-DDISK_SECTORS=${DISK_LAYOUT.sectors}`, `-DPATTERN=${DISK_LAYOUT.pattern}`],
  },
};
export const GUEST_SOURCE = WORKLOADS.pagewalk.source;

/**
 * Assembles a boot-sector guest (once per source and values: the image is cached by the
 * hash of both) and returns the image's path.
 */
export async function ensureGuestImage(workload: Workload = 'pagewalk'): Promise<string> {
  const { source: file, defines } = WORKLOADS[workload];
  const source = await readFile(file);
  const hash = createHash('sha256')
    .update(source)
    .update(await readFile(SHARED_INCLUDE))
    .update(defines.join(' '))
    .digest('hex')
    .slice(0, 16);
  const image = join(BUILD_DIR, `${workload}-${hash}.img`);
  if (await exists(image)) return image;
  await mkdir(BUILD_DIR, { recursive: true });
  const partial = partialName(image);
  try {
    await run('nasm', ['-f', 'bin', '-i', `${here}/`, ...defines, '-o', partial, file], { timeout: 30_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError('nasm is not installed, so the test guest cannot be built', 'run `npx cutover setup`');
    }
    throw new Error(`assembling ${file} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const built = await stat(partial);
  if (built.size !== 512) throw new Error(`the guest image is ${built.size} bytes, a boot sector must be 512`);
  await rename(partial, image); // atomic: concurrent runs never see half an image
  return image;
}

/** The data disk the disk-reading guest checks: every sector marked with its own number. */
export async function ensureDataDisk(): Promise<string> {
  const { sectors, sectorSize, pattern } = DISK_LAYOUT;
  const image = join(BUILD_DIR, `data-${sectors}x${sectorSize}-${pattern.toString(16)}.raw`);
  if (await exists(image)) return image;
  await mkdir(BUILD_DIR, { recursive: true });
  const partial = partialName(image);
  const disk = Buffer.alloc(sectors * sectorSize);
  for (let lba = 0; lba < sectors; lba++) disk.writeUInt32LE((lba ^ pattern) >>> 0, lba * sectorSize);
  const handle = await open(partial, 'w');
  try {
    await handle.writeFile(disk);
  } finally {
    await handle.close();
  }
  await rename(partial, image);
  return image;
}

/** A name of its own for a file being built: concurrent builders (runs, or scenarios of one run) rename whole files over each other. */
const partialName = (image: string): string => `${image}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
