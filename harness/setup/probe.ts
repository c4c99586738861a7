// Probing one prerequisite on this machine. Every probe is bounded by a deadline, so
// a hanging binary (a docker client waiting on a dead socket) cannot hang doctor.
import { open } from 'node:fs/promises';
import type { Detect, Prerequisite } from './prerequisites.ts';
import { lastLines, probeEnv, runCommand, which, type CommandRunner } from '../util/command.ts';

export const PROBE_TIMEOUT_MS = 5_000;

/** Why a prerequisite is not usable; drives the fix that doctor proposes. */
export type Problem =
  | 'absent' // nothing installed
  | 'not-running' // daemon installed but not answering
  | 'no-daemon' // only the client is installed
  | 'no-permission' // installed, but this user may not use it
  | 'timeout' // did not answer before the deadline
  | 'failed'; // ran and failed for another reason

export interface ProbeResult {
  present: boolean;
  /** Something is on disk (binary, daemon, device) even if not usable: setup need not install it. */
  installed: boolean;
  version?: string;
  detail?: string;
  problem?: Problem;
}

export interface ProbeDeps {
  run: CommandRunner;
  /** Finds an executable on PATH (sbin folders included). */
  which: (name: string) => Promise<string | undefined>;
  /** Opens a path read-write and closes it; rejects with the errno error. */
  openReadWrite: (path: string) => Promise<void>;
  timeoutMs: number;
}

export const realProbeDeps: ProbeDeps = {
  // Own process group, so a timed-out wrapper script takes its children down with it.
  run: (argv, opts) => runCommand(argv, { ...opts, env: opts.env ?? probeEnv() }),
  which: (name) => which(name),
  openReadWrite: async (path) => {
    const handle = await open(path, 'r+');
    await handle.close();
  },
  timeoutMs: PROBE_TIMEOUT_MS,
};

/** First capture group of `pattern` in a command's output, e.g. '7.2.22' from
 *  'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'. */
export function parseVersion(output: string, pattern: RegExp): string | undefined {
  const match = pattern.exec(output);
  const version = match?.[1]?.trim();
  return version === undefined || version === '' ? undefined : version;
}

function firstLine(text: string): string | undefined {
  return lastLines(text, Number.MAX_SAFE_INTEGER)[0]?.trim();
}

async function probeCommand(detect: Extract<Detect, { kind: 'command' }>, deps: ProbeDeps): Promise<ProbeResult> {
  const name = detect.argv[0] ?? '';
  // Look first: spawn reports EACCES, not ENOENT, for a missing binary when PATH holds a
  // folder this user cannot read (root's ~/.cargo/bin seen by nobody).
  if ((await deps.which(name)) === undefined)
    return { present: false, installed: false, problem: 'absent', detail: `${name} not found on PATH` };
  const res = await deps.run(detect.argv, { timeoutMs: deps.timeoutMs });
  if (res.spawnError === 'ENOENT')
    return { present: false, installed: false, problem: 'absent', detail: `${name} not found on PATH` };
  if (res.spawnError === 'EACCES')
    return {
      present: false,
      installed: true,
      problem: 'no-permission',
      detail: `${name} is not executable by this user`,
    };
  if (res.timedOut)
    return {
      present: false,
      installed: true,
      problem: 'timeout',
      detail: `${detect.argv.join(' ')} did not answer within ${deps.timeoutMs / 1000} s`,
    };
  // Some tools print their version on stderr (java) or exit non-zero after printing it.
  const version = parseVersion(`${res.stdout}\n${res.stderr}`, detect.pattern);
  if (res.code === 0 || version !== undefined)
    return version === undefined ? { present: true, installed: true } : { present: true, installed: true, version };
  const why = firstLine(res.stderr) ?? firstLine(res.stdout) ?? `exit code ${String(res.code)}`;
  return { present: false, installed: true, problem: 'failed', detail: `${detect.argv.join(' ')} failed: ${why}` };
}

async function probeDaemon(detect: Extract<Detect, { kind: 'daemon' }>, deps: ProbeDeps): Promise<ProbeResult> {
  const client = detect.argv[0] ?? '';
  const [clientPath, server] = await Promise.all([deps.which(client), deps.which(detect.daemon.binary)]);
  const res =
    clientPath === undefined
      ? { code: null, stdout: '', stderr: '', output: '', timedOut: false, spawnError: 'ENOENT' }
      : await deps.run(detect.argv, { timeoutMs: deps.timeoutMs });
  const version = parseVersion(res.stdout, detect.pattern);
  if (res.code === 0 && version !== undefined) return { present: true, installed: true, version };

  const said = `${res.stderr}\n${res.stdout}`;
  if (res.spawnError === 'ENOENT') {
    return server === undefined
      ? {
          present: false,
          installed: false,
          problem: 'absent',
          detail: `neither ${client} nor ${detect.daemon.binary} found`,
        }
      : {
          present: false,
          installed: false,
          problem: 'absent',
          detail: `${detect.daemon.binary} found but no ${client} client`,
        };
  }
  if (/permission denied/i.test(said)) {
    return {
      present: false,
      installed: true,
      problem: 'no-permission',
      detail: `${client}: permission denied on the daemon socket`,
    };
  }
  if (server === undefined) {
    return {
      present: false,
      installed: false,
      problem: 'no-daemon',
      detail: `${client} client only; no ${detect.daemon.binary} installed`,
    };
  }
  if (res.timedOut) {
    return {
      present: false,
      installed: true,
      problem: 'timeout',
      detail: `${detect.argv.join(' ')} did not answer within ${deps.timeoutMs / 1000} s`,
    };
  }
  return {
    present: false,
    installed: true,
    problem: 'not-running',
    detail: `${detect.daemon.binary} installed but not running`,
  };
}

async function probeDevice(detect: Extract<Detect, { kind: 'device' }>, deps: ProbeDeps): Promise<ProbeResult> {
  try {
    await deps.openReadWrite(detect.path);
    return { present: true, installed: true, detail: `${detect.path} read-write` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV') {
      return { present: false, installed: false, problem: 'absent', detail: `${detect.path} does not exist` };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        present: false,
        installed: true,
        problem: 'no-permission',
        detail: `${detect.path} exists but is not read-write for this user`,
      };
    }
    return { present: false, installed: true, problem: 'failed', detail: `${detect.path}: ${code ?? String(err)}` };
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Probes one prerequisite; never throws and never outlives the deadline by much. */
export function probe(prereq: Prerequisite, deps: ProbeDeps = realProbeDeps): Promise<ProbeResult> {
  const { detect } = prereq;
  const work = (async (): Promise<ProbeResult> => {
    switch (detect.kind) {
      case 'command':
        return probeCommand(detect, deps);
      case 'daemon':
        return probeDaemon(detect, deps);
      case 'device':
        return probeDevice(detect, deps);
    }
  })().catch(
    (err: unknown): ProbeResult => ({
      present: false,
      installed: false,
      problem: 'failed',
      detail: `probe error: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );
  // Backstop over the runner's own deadline: covers fs calls and injected runners.
  return withDeadline(work, deps.timeoutMs + 1_000, () => ({
    present: false,
    installed: true,
    problem: 'timeout',
    detail: `probe did not finish within ${(deps.timeoutMs + 1_000) / 1000} s`,
  }));
}
