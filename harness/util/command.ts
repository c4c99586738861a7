// The one way cutover runs a command on this machine: zx (the design card's choice) with a
// hard deadline, no output echoed, and a non-zero exit as a result rather than an error.
// Setup, the hosts and the drivers all come through here; setup's tests inject a fake
// CommandRunner instead of calling apt or dpkg.
import { access, constants, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { $, quote, type ProcessPromise } from 'zx';

export interface RunOptions {
  /** Hard deadline: the command and its children are killed (SIGKILL) when it passes. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called for each complete output line (stdout and stderr), e.g. to show apt's progress. */
  onLine?: (line: string) => void;
  /** Ends the command early (a scenario that ended while a call still waited). */
  signal?: AbortSignal;
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

/** What a host's `exec` answers: the exit code and both outputs. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const MAX_OUTPUT = 64 << 10;
/** bash's own words for a command it could not find or start. */
const NOT_FOUND = /: (?:exec: )?\S+: (?:not found|command not found|No such file or directory)\s*$/;

/** Runs argv (each element one argument, quoted by zx), never rejecting. */
export const runCommand: CommandRunner = async (argv, opts) => {
  if (argv.length === 0)
    return { code: null, stdout: '', stderr: '', output: '', timedOut: false, spawnError: 'EMPTY' };
  // bash by its path: a PATH without it (a user's, a test's) must still run what is on PATH.
  // No stdin: with a pipe to it, each call took ~90 ms longer whenever cutover's own stdin was /dev/null.
  const shell = $({
    shell: '/bin/bash',
    quote,
    stdio: ['ignore', 'pipe', 'pipe'],
    quiet: true,
    verbose: false,
    nothrow: true,
    env: opts.env ?? process.env,
    ...(opts.cwd && { cwd: opts.cwd }),
    ...(opts.signal && { signal: opts.signal }),
  });
  const child: ProcessPromise = shell`exec ${[...argv]}`;
  if (opts.onLine) streamLines(child, opts.onLine);
  // zx kills the command with its children (a grandchild may hold the pipes open).
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.kill('SIGKILL').catch(() => undefined);
  }, opts.timeoutMs);
  const out = await child.finally(() => clearTimeout(timer));
  const output = out.stdall.length > MAX_OUTPUT ? out.stdall.slice(-MAX_OUTPUT) : out.stdall;
  if (out.exitCode === null && !timedOut && !opts.signal?.aborted) {
    return {
      code: null,
      stdout: out.stdout,
      stderr: out.stderr,
      output,
      timedOut: false,
      spawnError: (out.cause as NodeJS.ErrnoException | null)?.code ?? 'SPAWN',
    };
  }
  if (out.exitCode === 127 && NOT_FOUND.test(out.stderr)) {
    return { code: null, stdout: out.stdout, stderr: out.stderr, output, timedOut: false, spawnError: 'ENOENT' };
  }
  return { code: timedOut ? null : out.exitCode, stdout: out.stdout, stderr: out.stderr, output, timedOut };
};

/**
 * Runs argv and answers its exit code and output; rejects when the deadline passed or the
 * run was abandoned, so a caller cannot mistake a hang for an answer.
 */
export async function exec(argv: ReadonlyArray<string>, timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
  const result = await runCommand(argv, { timeoutMs, ...(signal && { signal }) });
  if (signal?.aborted) throw new Error(`${argv.join(' ')}: abandoned`);
  if (result.timedOut || result.code === null) {
    if (result.spawnError) throw Object.assign(new Error(`${argv[0]}: not found`), { code: result.spawnError });
    throw new Error(`${argv.join(' ')}: no answer within ${timeoutMs} ms`);
  }
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

function streamLines(child: ProcessPromise, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') onLine(line);
    });
    stream.on('end', () => {
      if (partial.trim() !== '') onLine(partial);
      partial = '';
    });
  }
}

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

/** argv as one line a shell reads back as the same arguments (for logs and printed commands). */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => quote(a)).join(' ');
}
