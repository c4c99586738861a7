import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monotonicClock } from '../../util/clock.ts';
import { pollUntil } from '../../util/deadline.ts';
import { spawnChild } from './child.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Alive and not a zombie (this machine's PID 1 reaps nothing: a zombie counts as dead). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

describe('process host children', () => {
  it('escalate to SIGKILL when SIGTERM is ignored (as QEMU in postcopy-paused does)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'child-'));
    const child = spawnChild(
      {
        command: 'sh',
        args: ['-c', 'trap "" TERM; echo ready; sleep 30'],
        label: 'stubborn',
        logPath: join(dir, 'log'),
      },
      monotonicClock,
    );
    await new Promise((r) => setTimeout(r, 200));
    const exit = await child.stop(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(child.alive).toBe(false);
  });

  it('die with the harness process that started them, even on SIGKILL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'child-'));
    // A throwaway "harness" that starts a long sleep through spawnChild, prints its pid, and waits.
    const script = `
      import { spawnChild } from ${JSON.stringify(join(import.meta.dirname, 'child.ts'))};
      const c = spawnChild({ command: 'sleep', args: ['60'], label: 'orphan', logPath: ${JSON.stringify(join(dir, 'log'))} }, () => 0);
      console.log(c.pid);
      setInterval(() => {}, 1000);`;
    const harness = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = Number(
      await new Promise<string>((resolve) => harness.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))),
    );
    expect(alive(pid)).toBe(true);
    // The parent-death signal is set by setpriv before it execs sleep: a harness killed before
    // that (a window a loaded machine widens) leaves no such signal. Kill it once sleep runs.
    await pollUntil('the child to run sleep', 5000, () => (comm(pid) === 'sleep' ? true : undefined));
    harness.kill('SIGKILL');
    await pollUntil('the orphan to die', 5000, () => (alive(pid) ? undefined : true));
  });
});
