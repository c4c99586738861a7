// Helpers of the end-to-end tests: the CLI as a user runs it, and what it leaves behind.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Certificate } from '../reporting/certificate.ts';
import { exec } from '../util/command.ts';

export const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/cutover.mjs');

export interface Outcome {
  code: number | null;
  /** The signal that ended the CLI, when one did. */
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * This test file's mark, in the environment of every CLI run it starts: QEMUs, emulators and
 * clients inherit it, so what the file's own runs left is told from other runs on a machine
 * that others share (a count of every QEMU failed the smoke test on another run's QEMUs).
 */
const MARK_KEY = 'CUTOVER_E2E_MARK';
const FILE_MARK = randomUUID();
const withMark = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ [MARK_KEY]: FILE_MARK, ...env });
/** Whether a process's environment (/proc/PID/environ) carries `mark` (this file's by default). */
export const carriesMark =
  (mark = `${MARK_KEY}=${FILE_MARK}`) =>
  (environ: string): boolean =>
    environ.split('\0').includes(mark);

export function cutover(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return interruptedCutover(args, undefined, env);
}

/**
 * The CLI in a process group of its own, as a terminal runs it; once `ready()` says so, the
 * group gets `signal` (SIGINT: Ctrl-C) or the CLI alone gets SIGKILL (a crash).
 */
export function interruptedCutover(
  args: string[],
  interrupt: { ready: () => Promise<boolean>; signal: 'SIGINT' | 'SIGKILL' } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: withMark(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: interrupt !== undefined,
    });
    if (interrupt) {
      let sent = false;
      const timer = setInterval(() => {
        void interrupt.ready().then((ready) => {
          if (!ready || sent || child.exitCode !== null || !child.pid) return;
          sent = true;
          clearInterval(timer);
          if (interrupt.signal === 'SIGINT') process.kill(-child.pid, 'SIGINT');
          else child.kill('SIGKILL');
        });
      }, 500);
      child.on('exit', () => clearInterval(timer));
    }
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Running (not zombie) processes whose name matches, e.g. /^qemu-system-x86/ (and whose environment does). */
export const runningProcesses = (
  name: RegExp,
  cmdline: (text: string) => boolean = () => true,
  environ: (text: string) => boolean = () => true,
): number =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const m = /^\d+ \((.*)\) (\S)/.exec(readFileSync(`/proc/${p}/stat`, 'utf8'));
        return (
          !!m &&
          name.test(m[1] ?? '') &&
          m[2] !== 'Z' &&
          cmdline(readFileSync(`/proc/${p}/cmdline`, 'utf8')) &&
          environ(readFileSync(`/proc/${p}/environ`, 'utf8'))
        );
      } catch {
        return false;
      }
    }).length;

/** QEMUs this file's CLI runs left running: the machine's own, and those started through a rootfs's loader. */
export const qemuProcesses = (): number =>
  runningProcesses(
    /^(qemu-system-x86|ld-linux-x86-64)$/,
    (cmdline) => cmdline.includes('qemu-system-x86_64'),
    carriesMark(),
  );

/** The last verdict line per requirement (a run prints MIG-08 again over every scenario it played), sorted. */
export const printedVerdicts = (text: string): string[] => {
  const last = new Map<string, string>();
  for (const l of text.split('\n')) {
    const verdict = /((?:PASS|FAIL|SKIP|ERROR) +([A-Z0-9]+-[A-Z0-9]+): .*)$/.exec(l);
    if (verdict?.[1] && verdict[2]) last.set(verdict[2], verdict[1]);
  }
  return [...last.values()].sort();
};

export const certificateIn = (out: string): Certificate =>
  JSON.parse(readFileSync(join(out, 'latest', 'certificate.json'), 'utf8'));

/** Containers and networks of cutover still there (labelled with their owner's pid). */
export async function containerLeftovers(): Promise<string> {
  const containers = await exec(['docker', 'ps', '-aq', '--filter', 'label=cutover.owner-pid'], 20_000);
  const networks = await exec(['docker', 'network', 'ls', '-q', '--filter', 'label=cutover.owner-pid'], 20_000);
  return (containers.stdout + networks.stdout).trim();
}

/** A mark of its own for some of a file's CLI runs (given `env`), and the emulators they left running. */
export function runMark(): { env: NodeJS.ProcessEnv; emulatorsLeft: () => number } {
  const value = randomUUID();
  return {
    env: { ...process.env, [MARK_KEY]: value },
    emulatorsLeft: () =>
      runningProcesses(/node/, (cmd) => cmd.includes('cutover-emulator/'), carriesMark(`${MARK_KEY}=${value}`)),
  };
}
