import { readFileSync } from 'node:fs';
import { spawnChild } from '../hosts/process/child.ts';
import { which } from '../util/command.ts';
import type { ProcessExit, SpiceClientProgram } from '../hosts/types.ts';
import type { Clock } from '../util/clock.ts';
import { withDeadline } from '../util/deadline.ts';

// The SPICE client whose handover the spice family judges: remote-viewer (virt-viewer) on a
// headless display (see display.ts). Whether it connected is read on the QEMU side (QMP
// query-spice lists its channels); its own --debug output stays in its log as evidence.

export interface SpiceClient {
  readonly pid: number;
  /** The URI it was started with, e.g. spice://127.0.0.1:5930. */
  readonly uri: string;
  readonly alive: boolean;
  /** True between freeze() and thaw(). */
  readonly frozen: boolean;
  readonly exited: Promise<ProcessExit>;
  /** SIGTERM (and SIGCONT, so a frozen client sees it), then SIGKILL. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** SIGSTOP: the client stays connected but answers nothing (a stalled client). */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGKILL, no grace: the connection drops as when the client crashes. */
  kill(): Promise<void>;
}

export interface StartSpiceClientOptions {
  host: string;
  port: number;
  /** The X display to draw on, e.g. ":90" (from startDisplay); remote-viewer needs one. */
  display?: string;
  /** Another client program than remote-viewer (the emulated hosts'): it needs no display. */
  program?: SpiceClientProgram;
  /** remote-viewer's output goes here (appended). */
  logPath: string;
  clock: Clock;
  /** Adds --spice-debug (spice-gtk's own, very verbose: every message of every channel). */
  spiceDebug?: boolean;
}

const REMOTE_VIEWER = 'remote-viewer';
const STOP_GRACE_MS = 3000;

/** The environment remote-viewer runs with: only its display, no desktop session. */
export function clientEnvironment(display: string): Record<string, string> {
  return {
    DISPLAY: display,
    GDK_BACKEND: 'x11',
    // No accessibility bus, no session bus (GLib would otherwise try to autolaunch one through
    // dbus-launch, a daemon that outlives the client), settings kept in memory.
    NO_AT_BRIDGE: '1',
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/cutover-no-session-bus',
    GSETTINGS_BACKEND: 'memory',
  };
}

/** remote-viewer's arguments: debug output, no audio, no USB redirection, no prompts. */
export function clientArguments(uri: string, opts: { spiceDebug?: boolean } = {}): string[] {
  return [
    '--debug',
    ...(opts.spiceDebug === true ? ['--spice-debug'] : []),
    '--spice-disable-audio',
    '--spice-disable-usbredir',
    '--title',
    'cutover',
    uri,
  ];
}

export function spiceUri(host: string, port: number): string {
  return `spice://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** How long remote-viewer is watched for an exit at start (a missing display, a bad argument). */
const START_FAILURE_MS = 400;

/** remote-viewer under env(1) with its display, or the program given, against the URI. */
async function clientCommand(uri: string, opts: StartSpiceClientOptions): Promise<{ command: string; args: string[] }> {
  if (opts.program) return { command: opts.program.command, args: [...opts.program.prefixArgs, uri] };
  const binary = await which(REMOTE_VIEWER);
  if (binary === undefined)
    throw new Error(`${REMOTE_VIEWER} not found on PATH: install virt-viewer (npx cutover setup --family spice)`);
  if (opts.display === undefined) throw new Error('remote-viewer needs an X display (startDisplay)');
  const env = Object.entries(clientEnvironment(opts.display)).map(([k, v]) => `${k}=${v}`);
  // env(1) execs remote-viewer in the same process: the pid we signal is remote-viewer's, and
  // setpriv's parent-death signal (set by spawnChild) survives both execs.
  return { command: '/usr/bin/env', args: [...env, binary, ...clientArguments(uri, opts)] };
}

/** Starts the SPICE client against spice://host:port; it does not wait for the connection. */
export async function startSpiceClient(opts: StartSpiceClientOptions): Promise<SpiceClient> {
  const uri = spiceUri(opts.host, opts.port);
  const proc = spawnChild(
    {
      ...(await clientCommand(uri, opts)),
      label: `${opts.program ? 'spice-client' : 'remote-viewer'} ${uri}`,
      logPath: opts.logPath,
    },
    opts.clock,
  );
  // A client that cannot start at all (no display, bad argument) ends at once: remote-viewer
  // without a display exits 1 in 0.11-0.13 s on this machine (2 cores, loaded; 2026-12-07),
  // beyond the 100 ms that suffice for the emulated client (a Node program).
  const early = await Promise.race([
    proc.exited,
    new Promise<undefined>((r) => setTimeout(r, opts.program ? 100 : START_FAILURE_MS, undefined)),
  ]);
  if (early !== undefined) {
    const how = early.signal ?? (early.code === null ? 'a spawn error' : `code ${early.code}`);
    throw new Error(
      `remote-viewer exited at once with ${how}: ${lastLogLine(opts.logPath) ?? 'no output'} (log: ${opts.logPath})`,
    );
  }
  let frozen = false;
  let stopping: Promise<void> | undefined;
  const finish = async (first: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (!proc.alive) return;
    proc.signal(first);
    if (first !== 'SIGKILL') proc.signal('SIGCONT');
    try {
      await withDeadline(`remote-viewer to exit on ${first}`, graceMs, proc.exited);
    } catch {
      proc.signal('SIGKILL');
      await withDeadline('remote-viewer to exit on SIGKILL', 10_000, proc.exited);
    }
    frozen = false;
  };
  return {
    pid: proc.pid,
    uri,
    exited: proc.exited,
    get alive() {
      return proc.alive;
    },
    get frozen() {
      return frozen && proc.alive;
    },
    stop(graceMs = STOP_GRACE_MS) {
      stopping ??= finish('SIGTERM', graceMs);
      return stopping;
    },
    freeze() {
      if (!proc.alive) throw new Error(`remote-viewer (pid ${proc.pid}) is not running: cannot freeze it`);
      proc.signal('SIGSTOP');
      frozen = true;
    },
    thaw() {
      if (!proc.alive) throw new Error(`remote-viewer (pid ${proc.pid}) is not running: cannot thaw it`);
      proc.signal('SIGCONT');
      frozen = false;
    },
    kill() {
      // Even during a graceful stop(): SIGKILL now.
      const killing = finish('SIGKILL', 10_000);
      stopping ??= killing;
      return killing;
    },
  };
}

function lastLogLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1);
  } catch {
    return undefined;
  }
}
