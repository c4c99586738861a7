import { access, constants, mkdir, rename, rm, symlink, unlink } from 'node:fs/promises';
import { makeDirectory } from '../util/fs.ts';
import { join, resolve } from 'node:path';
import { UsageError } from '../util/errors.ts';

// A run writes into "<stamp>.incomplete" and becomes "<stamp>" only when it finished, so a
// crashed or interrupted run never leaves a folder that looks like a result; `latest`
// always points at a finished one.

export interface RunFolder {
  readonly path: string;
  /** Where it will be once finished: for paths printed or written before then. */
  readonly final: string;
  finish(): Promise<string>;
  discard(): Promise<void>;
}

export async function openRunFolder(outDir: string, now = new Date()): Promise<RunFolder> {
  const root = resolve(outDir);
  try {
    await makeDirectory(root);
    await access(root, constants.W_OK);
  } catch (err) {
    throw new UsageError(
      `cannot write reports to ${root}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'pass a writable folder with --out',
    );
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const final = join(root, stamp);
  const path = `${final}.incomplete`;
  await mkdir(path);
  return {
    path,
    final,
    async finish() {
      await rename(path, final);
      const latest = join(root, 'latest');
      await unlink(latest).catch(() => undefined);
      await symlink(stamp, latest);
      return final;
    },
    discard: () => rm(path, { recursive: true, force: true }),
  };
}
