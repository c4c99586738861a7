// Running an external command with a hard deadline. doctor and setup receive a
// CommandRunner so that tests can inject canned answers instead of calling apt or dpkg.
import { spawn } from 'node:child_process';
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface RunOptions {
  /** Hard deadline: the command is killed (SIGKILL) when it passes. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Called for each complete output line (stdout and stderr), e.g. to show apt's progress. */
  onLine?: (line: string) => void;
  /** Kill the whole process group on timeout (apt-get leaves dpkg and download children). */
  killGroup?: boolean;
}

export interface RunResult {
  /** Exit code; null when killed or never started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order (last 64 KiB), for error reports. */
  output: string;
  timedOut: boolean;
  /** Set when the command could not be started at all, e.g. 'ENOENT'. */
  spawnError?: string;
}

export type CommandRunner = (argv: readonly string[], opts: RunOptions) => Promise<RunResult>;

const MAX_STREAM = 1 << 20;
const MAX_OUTPUT = 64 << 10;

function keepTail(text: string, max: number): string {
  return text.length > max ? text.slice(text.length - max) : text;
}

/** The real runner: spawn without a shell, so arguments need no quoting. */
export const runCommand: CommandRunner = (argv, opts) =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve({ code: null, stdout: '', stderr: '', output: '', timedOut: false, spawnError: 'EMPTY' });
      return;
    }
    let stdout = '';
    let stderr = '';
    let output = '';
    const partial = { out: '', err: '' };
    let settled = false;
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.killGroup === true,
    });

    const emitLines = (key: 'out' | 'err', chunk: string, flush: boolean): void => {
      if (!opts.onLine) return;
      const text = partial[key] + chunk;
      const lines = text.split(/\r?\n|\r/);
      partial[key] = flush ? '' : (lines.pop() ?? '');
      for (const line of lines) if (line.trim() !== '') opts.onLine(line);
    };
    const onData = (key: 'out' | 'err') => (buf: Buffer) => {
      const chunk = buf.toString('utf8');
      if (key === 'out') stdout = keepTail(stdout + chunk, MAX_STREAM);
      else stderr = keepTail(stderr + chunk, MAX_STREAM);
      output = keepTail(output + chunk, MAX_OUTPUT);
      emitLines(key, chunk, false);
    };
    child.stdout.on('data', onData('out'));
    child.stderr.on('data', onData('err'));

    const finish = (result: Omit<RunResult, 'stdout' | 'stderr' | 'output'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      emitLines('out', '', true);
      emitLines('err', '', true);
      resolve({ ...result, stdout, stderr, output });
    };

    const timer = setTimeout(() => {
      try {
        if (opts.killGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
      // Do not wait for 'close': a grandchild may hold the pipes open forever.
      child.stdout.destroy();
      child.stderr.destroy();
      finish({ code: null, timedOut: true });
    }, opts.timeoutMs);

    child.on('error', (err: NodeJS.ErrnoException) => {
      finish({ code: null, timedOut: false, spawnError: err.code ?? err.message });
    });
    child.on('close', (code) => finish({ code, timedOut: false }));
  });

/** PATH plus the sbin folders: dockerd, debootstrap and friends live there, and a
 *  non-root user's PATH often lacks them. */
export function pathWithSbin(path: string | undefined): string {
  const parts = (path ?? '').split(delimiter).filter((p) => p !== '');
  for (const extra of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!parts.includes(extra)) parts.push(extra);
  }
  return parts.join(delimiter);
}

/** Environment for probes and apt: C locale so the output we parse is not translated. */
export function probeEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, PATH: pathWithSbin(base.PATH), LC_ALL: 'C', LANG: 'C' };
}

/** Finds an executable on PATH without running it. */
export async function which(name: string, path: string = pathWithSbin(process.env.PATH)): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate; // a folder is "executable" too
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The last n non-empty lines of a text, for short error reports. */
export function lastLines(text: string, n: number): string[] {
  const lines = text.split(/\r?\n|\r/).filter((l) => l.trim() !== '');
  return lines.slice(Math.max(0, lines.length - n));
}
