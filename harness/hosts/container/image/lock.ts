// A machine-wide exclusive lock between processes (two `cutover` runs, two vitest workers).
// It is a kernel flock(2) held by a small `flock … cat` child: the lock is released when we
// close the child's stdin, and also when this process dies in any way (the pipe closes, cat
// exits, flock exits), so a crash never leaves a stale lock behind. util-linux (flock) is
// a core prerequisite.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { makeDirectory } from '../../../util/fs.ts';

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

/** Waits up to timeoutMs for the exclusive lock on `path` (created if missing). */
export async function acquireLock(path: string, what: string, timeoutMs: number): Promise<HeldLock> {
  await makeDirectory(dirname(path));
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const child = spawn('flock', ['-x', '-w', String(seconds), path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  const locked = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes('locked')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  if (!locked) {
    const code = await exited;
    if (code === 1 && stderr.trim() === '') {
      throw new LockTimeoutError(`${what}: another cutover process held ${path} for more than ${seconds} s`);
    }
    throw new Error(
      `${what}: cannot lock ${path} with flock (exit ${String(code)}): ${stderr.trim() || 'is util-linux installed?'}`,
    );
  }
  // The lock must not keep this process alive, and must not be released by an idle pipe.
  child.stdout.destroy();
  child.unref();
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      child.ref(); // keep this process alive until flock has let go
      child.stdin.end();
      await exited;
    },
  };
}

export async function withLock<T>(path: string, what: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, what, timeoutMs);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
