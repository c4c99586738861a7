// Helpers of the end-to-end tests: the CLI as a user runs it, and what it leaves behind.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Certificate } from '../reporting/certificate.ts';

export const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/cutover.mjs');

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cutover(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Running (not zombie) processes whose name matches, e.g. /^qemu-system-x86/. */
export const runningProcesses = (name: RegExp, cmdline: (text: string) => boolean = () => true): number =>
  readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const m = /^\d+ \((.*)\) (\S)/.exec(readFileSync(`/proc/${p}/stat`, 'utf8'));
      return !!m && name.test(m[1] ?? '') && m[2] !== 'Z' && cmdline(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  }).length;

/** QEMUs still running: the machine's own, and those started through a rootfs's loader. */
export const qemuProcesses = (): number =>
  runningProcesses(/^(qemu-system-x86|ld-linux-x86-64)$/, (cmdline) => cmdline.includes('qemu-system-x86_64'));

export const certificateIn = (out: string): Certificate => JSON.parse(readFileSync(join(out, 'latest', 'certificate.json'), 'utf8'));

