import { mkdir, readdir, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { isAlive } from '../../util/process.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each run keeps a folder that names its owner; a later run removes what a killed run left
// (its processes and its folder). Paths stay short: UNIX socket paths are limited to 107 bytes.
const ROOT = join(tmpdir(), 'cutover');

/** RAM-backed twin of a run's folder, for guest memory that two QEMUs share. */
const SHM = '/dev/shm';
export const memoryDirFor = (dir: string): string => join(SHM, dir);

export interface RunFolder {
  readonly path: string;
  remember(pid: number): Promise<void>;
  remove(): Promise<void>;
}

/** Folders this process made so far: two made in the same millisecond still differ. */
let made = 0;

export async function createRunFolder(): Promise<RunFolder> {
  await mkdir(ROOT, { recursive: true });
  await reapStaleRuns();
  const path = join(ROOT, `${process.pid}-${Date.now().toString(36)}${(made++).toString(36)}`);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'owner'), String(process.pid));
  return {
    path,
    remember: (pid) => appendFile(join(path, 'pids'), `${pid}\n`),
    remove: async () => {
      await rm(path, { recursive: true, force: true });
      await rm(memoryDirFor(path), { recursive: true, force: true });
    },
  };
}

/** Kills processes of runs whose owner is gone, and removes their folders. */
export async function reapStaleRuns(): Promise<number> {
  let reaped = 0;
  for (const name of await readdir(ROOT).catch(() => [] as string[])) {
    const dir = join(ROOT, name);
    const owner = Number(await readFile(join(dir, 'owner'), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && isAlive(owner)) continue;
    // No owner yet: a run that is making its folder right now (another worker of this run).
    if (!Number.isInteger(owner) && (await isYoung(dir))) continue;
    const pids = (await readFile(join(dir, 'pids'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      // Only kill a process that still points into the dead run's folder (pids get reused).
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
          reaped++;
        } catch {
          /* already gone */
        }
      }
    }
    await rm(dir, { recursive: true, force: true });
    await rm(memoryDirFor(dir), { recursive: true, force: true });
  }
  return reaped;
}

/** Made in the last minute: an owner file is written right after its folder. */
async function isYoung(dir: string): Promise<boolean> {
  const made = await stat(dir).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - made < 60_000;
}
