import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UsageError } from '../util/errors.ts';
import { GUEST_LAYOUT, type GuestLayout } from './layout.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const GUEST_SOURCE = join(here, 'pagewalk.asm');
const BUILD_DIR = join(here, 'build');

function defines(layout: GuestLayout): string[] {
  return [`-DWALK_START=${layout.walkStart}`, `-DWALK_END=${layout.walkEnd}`];
}

/**
 * Assembles the boot-sector guest (once per source and layout: the image is cached by the
 * hash of both) and returns the image's path.
 */
export async function ensureGuestImage(layout: GuestLayout = GUEST_LAYOUT): Promise<string> {
  const source = await readFile(GUEST_SOURCE);
  const hash = createHash('sha256').update(source).update(defines(layout).join(' ')).digest('hex').slice(0, 16);
  const image = join(BUILD_DIR, `pagewalk-${hash}.img`);
  if (await exists(image)) return image;
  await mkdir(BUILD_DIR, { recursive: true });
  const partial = `${image}.${process.pid}.tmp`;
  try {
    await run('nasm', ['-f', 'bin', ...defines(layout), '-o', partial, GUEST_SOURCE], { timeout: 30_000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError('nasm is not installed, so the test guest cannot be built', 'run `npx cutover setup`');
    }
    throw new Error(`assembling ${GUEST_SOURCE} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const built = await stat(partial);
  if (built.size !== 512) throw new Error(`the guest image is ${built.size} bytes, a boot sector must be 512`);
  await rename(partial, image); // atomic: concurrent runs never see half an image
  return image;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
