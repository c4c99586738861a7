import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdir spins forever on some paths
 * (under /proc, for one) instead of failing.
 */
export async function makeDirectory(path: string): Promise<void> {
  const target = resolve(path);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) return;
  if (existing) throw Object.assign(new Error(`${target} is not a folder`), { code: 'ENOTDIR' });
  const parent = dirname(target);
  if (parent !== target) await makeDirectory(parent);
  await mkdir(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}
