// The host axis: where guests and daemons run. A driver reaches its hosts only through this
// interface, so the same driver runs on local processes, containers or emulated hosts.

export type HostKind = 'process' | 'container' | 'emulated';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Harness clock time of the exit. */
  readonly t: number;
}

export interface SpawnRequest {
  readonly command: string;
  readonly args: ReadonlyArray<string>;
  /** Short name for logs and evidence, e.g. "qemu-source". */
  readonly label: string;
  /** Where the process's stdout and stderr go (a file in the host's folder). */
  readonly logPath: string;
}

export interface HostProcess {
  readonly pid: number;
  readonly label: string;
  readonly exited: Promise<ProcessExit>;
  readonly alive: boolean;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs: a process that ignores SIGTERM still ends. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

export interface Host {
  readonly name: string;
  readonly kind: HostKind;
  /** A folder of this host's, reachable by path from the harness (sockets, dumps, logs). */
  readonly workDir: string;
  spawn(request: SpawnRequest): HostProcess;
  /** Ends everything this host started. Idempotent. */
  close(): Promise<void>;
}

export interface HostProvider {
  readonly kind: HostKind;
  /** Creates the named hosts of one scenario run inside runDir. */
  create(names: ReadonlyArray<string>, runDir: string): Promise<Host[]>;
}
