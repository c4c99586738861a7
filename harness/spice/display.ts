import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnChild } from '../hosts/process/child.ts';
import type { HostProcess, ProcessExit } from '../hosts/types.ts';
import { monotonicClock, type Clock } from '../util/clock.ts';
import { DeadlineError, sleep, withDeadline } from '../util/deadline.ts';

// A headless X display (Xvfb) for the SPICE client. Xvfb is a child of the harness (setpriv's
// parent-death signal), listens only on its UNIX socket, and is ready once it answers the X11
// connection handshake.

export interface Display {
  /** The DISPLAY value, e.g. ":90". */
  readonly display: string;
  readonly number: number;
  readonly pid: number;
  readonly alive: boolean;
  readonly exited: Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL; removes the lock and socket a killed Xvfb leaves. Idempotent. */
  stop(): Promise<void>;
}

export interface StartDisplayOptions {
  /** Xvfb's output goes here (appended). */
  logPath: string;
  clock?: Clock;
  /** First display number tried; 90 by default. */
  first?: number;
  /** Bound on finding a free number and the display answering; 10 s by default. */
  readyTimeoutMs?: number;
  /** Xvfb's screen 0 as WxHxD; 1024x768x24 by default. */
  screen?: string;
}

const XVFB = 'Xvfb';
const SOCKET_DIR = '/tmp/.X11-unix';
const CANDIDATES = 100;
const STOP_GRACE_MS = 3000;

export const socketPath = (n: number): string => `${SOCKET_DIR}/X${n}`;
export const lockPath = (n: number): string => `/tmp/.X${n}-lock`;

/** Starts Xvfb on the first free display number from `first` (90) upwards. */
export async function startDisplay(opts: StartDisplayOptions): Promise<Display> {
  const clock = opts.clock ?? monotonicClock;
  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  const first = opts.first ?? 90;
  const end = Date.now() + timeoutMs;
  const refused: string[] = [];
  for (let n = first; n < first + CANDIDATES; n++) {
    if (Date.now() >= end) break;
    if (await displayTaken(n)) continue;
    const logOffset = fileSize(opts.logPath);
    const proc = spawnChild(
      {
        command: XVFB,
        args: [`:${n}`, '-nolisten', 'tcp', '-noreset', '-screen', '0', opts.screen ?? '1024x768x24'],
        label: `xvfb-:${n}`,
        logPath: opts.logPath,
      },
      clock,
    );
    const outcome = await waitReady(proc, n, end);
    if (outcome === 'ready') return handle(proc, n);
    await proc.stop(STOP_GRACE_MS).catch(() => undefined);
    const said = readFrom(opts.logPath, logOffset);
    if (outcome === 'exited' && /already active|Cannot establish any listening sockets|lock/i.test(said)) {
      // Another X server took the number between our check and Xvfb's own lock: try the next.
      refused.push(`:${n}`);
      continue;
    }
    if (outcome === 'exited')
      throw new Error(`Xvfb :${n} exited before it answered: ${lastLine(said) ?? 'no output'} (log: ${opts.logPath})`);
    break;
  }
  throw new DeadlineError(
    `Xvfb to answer on a free display from :${first}${refused.length > 0 ? ` (taken meanwhile: ${refused.join(' ')})` : ''} (log: ${opts.logPath})`,
    timeoutMs,
  );
}

/** A number is taken when a live process holds its lock, or something answers on its socket. */
export async function displayTaken(n: number): Promise<boolean> {
  const lock = lockPath(n);
  if (existsSync(lock)) {
    const pid = Number.parseInt(safeRead(lock) ?? '', 10);
    // A lock whose process is gone is stale: Xvfb removes it itself. Unreadable means taken.
    if (!Number.isInteger(pid) || pid <= 0 || processExists(pid)) return true;
  }
  if (existsSync(socketPath(n))) return (await x11Handshake(n, 1000)) !== 'refused';
  return false;
}

async function waitReady(proc: HostProcess, n: number, end: number): Promise<'ready' | 'exited' | 'timeout'> {
  for (;;) {
    if (!proc.alive) return 'exited';
    if (existsSync(socketPath(n)) && isOurs(n, proc.pid)) {
      const answer = await x11Handshake(n, Math.max(100, Math.min(2000, end - Date.now())));
      if (answer === 'accepted') return 'ready';
    }
    if (Date.now() >= end) return 'timeout';
    await Promise.race([sleep(50), proc.exited]);
  }
}

/** The lock names this pid (setpriv execs Xvfb, so the child's pid is Xvfb's). */
function isOurs(n: number, pid: number): boolean {
  const text = safeRead(lockPath(n));
  return text !== undefined && Number.parseInt(text, 10) === pid;
}

/**
 * Opens the display's socket and sends the X11 connection setup (no authorization): the
 * server's first reply byte says Success (1), Failed (0) or Authenticate (2). Any reply means
 * a live server; only "accepted" means a client without a cookie can use it.
 */
export function x11Handshake(n: number, timeoutMs: number): Promise<'accepted' | 'rejected' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect(socketPath(n));
    const done = (answer: 'accepted' | 'rejected' | 'refused'): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // Silent past the deadline: something listens but does not speak X; count it as taken.
    const timer = setTimeout(() => done('rejected'), timeoutMs);
    socket.once('error', () => done('refused'));
    socket.once('connect', () => {
      // 'l' = little-endian, protocol 11.0, no authorization name or data.
      const setup = Buffer.alloc(12);
      setup.write('l', 0, 'latin1');
      setup.writeUInt16LE(11, 2);
      setup.writeUInt16LE(0, 4);
      socket.write(setup);
    });
    socket.once('data', (d: Buffer) => done(d[0] === 1 ? 'accepted' : 'rejected'));
    socket.once('end', () => done('rejected'));
  });
}

function handle(proc: HostProcess, n: number): Display {
  let stopping: Promise<void> | undefined;
  return {
    display: `:${n}`,
    number: n,
    pid: proc.pid,
    exited: proc.exited,
    get alive() {
      return proc.alive;
    },
    stop() {
      stopping ??= (async () => {
        await withDeadline(`Xvfb :${n} to stop`, STOP_GRACE_MS + 11_000, proc.stop(STOP_GRACE_MS));
        // A SIGKILLed Xvfb leaves its lock and socket: remove them, but only if still ours.
        if (isOurs(n, proc.pid)) {
          for (const path of [socketPath(n), lockPath(n)]) {
            try {
              unlinkSync(path);
            } catch {
              // already gone
            }
          }
        }
      })();
      return stopping;
    },
  };
}

/** Exists in the process table (a zombie counts: its pid still blocks the lock). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return undefined;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
}
