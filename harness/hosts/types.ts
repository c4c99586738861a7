import type { Clock } from '../util/clock.ts';
import type { ExecResult } from '../util/command.ts';

// The host axis: where guests and daemons run. A driver reaches its hosts only through this
// interface, so the same driver runs on local processes, containers or emulated hosts.

export type HostKind = 'process' | 'container' | 'emulated';

/** What a kind of host offers beyond running processes; faults and requirements ask for these. */
export const HOST_FEATURES = {
  loopback: "shares the harness's loopback: its relay and listeners are reachable at 127.0.0.1",
  controls: 'whole-host faults: pause and resume it, cut and heal its network link',
  'daemon-settings': "configures each host's management daemon (worker pool, keepalive, host UUID)",
} as const;
export type HostFeature = keyof typeof HOST_FEATURES;

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

export type { ExecResult };

/** What a fault can do to a whole host; not every host kind can. */
export interface HostControls {
  /** Freezes every process of the host (docker pause) and thaws it again. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Takes the host's network link down, and back up. */
  cutLink(): Promise<void>;
  healLink(): Promise<void>;
}

/** A QEMU a host can start: argv = command, prefixArgs, then QEMU's own arguments. */
export interface Emulator {
  readonly version: string;
  readonly command: string;
  readonly prefixArgs: ReadonlyArray<string>;
  /** Where it comes from, for reports: a package, a root filesystem. */
  readonly origin: string;
  /** It emulates no accelerator (cutover's emulated QEMU takes -accel and ignores it): KVM is not asked about. */
  readonly withoutKvm?: boolean;
}

/**
 * A SPICE client program for a host whose QEMUs speak a SPICE of their own (the emulated
 * ones): argv = command, prefixArgs, then the spice:// URI.
 */
export interface SpiceClientProgram {
  readonly command: string;
  readonly prefixArgs: ReadonlyArray<string>;
  readonly origin: string;
}

/** Which of a host's QEMUs a guest runs on: the host's usual one, or its oldest or newest. */
export const EMULATOR_CHOICES = ['default', 'oldest', 'newest'] as const;
export type EmulatorChoice = (typeof EMULATOR_CHOICES)[number];

export interface Host {
  readonly name: string;
  readonly kind: HostKind;
  /**
   * A folder of this host's at the same path for the harness and inside the host (sockets,
   * dumps, logs). Every host of a scenario also sees its siblings' folders at their paths.
   */
  readonly workDir: string;
  /**
   * A folder for files guests map as RAM (shared memory backends), on tmpfs where the host
   * kind allows; removed with the host.
   */
  readonly memoryDir: string;
  /** Where other hosts and the harness reach this host ('127.0.0.1' for process hosts). */
  readonly address: string;
  /** What the host runs, for the certificate: e.g. { image: ..., qemu: '7.2.22', libvirt: '9.0.0' }. */
  readonly description: Readonly<Record<string, string>>;
  /** The keepalive its management daemon keeps with peers (seconds, misses), where it runs one. */
  readonly keepalive?: Keepalive;
  /**
   * What this host's emulated management daemon is set up with (emulated hosts only: the
   * emulated driver runs that daemon for the host, as a container host runs libvirtd).
   */
  readonly emulatedDaemon?: EmulatedDaemonSettings;
  /** The QEMUs this host can start, its default first. */
  emulators(): Promise<ReadonlyArray<Emulator>>;
  /** The SPICE client its QEMUs' SPICE servers need, where that is not remote-viewer. */
  readonly spiceClient?: () => Promise<SpiceClientProgram>;
  /** Present where the host kind supports whole-host faults. */
  readonly controls?: HostControls;
  spawn(request: SpawnRequest): HostProcess;
  /** Runs a command on the host and waits for it, within timeoutMs. */
  exec(argv: ReadonlyArray<string>, options: { timeoutMs: number }): Promise<ExecResult>;
  /** Writes the host's own logs (daemons, init) into its folder; returns what it wrote. */
  collectLogs(): Promise<Array<{ readonly label: string; readonly path: string }>>;
  /** Ends everything this host started. Idempotent. */
  close(): Promise<void>;
}

/** A host as a scenario asks for it; settings a host kind cannot honour are refused. */
export interface HostSpec {
  readonly name: string;
  /** libvirtd's host_uuid; two hosts given the same one look like one host to libvirt. */
  readonly hostUuid?: string;
  readonly workers?: { readonly min: number; readonly max: number; readonly priority: number };
  readonly keepalive?: Keepalive;
}

/** An emulated daemon's settings: the host's own, and the bug variants switched on in it. */
export interface EmulatedDaemonSettings extends Omit<HostSpec, 'name'> {
  readonly bugs: ReadonlyArray<string>;
}

/** libvirt's keepalive: a probe every `interval` s; the peer is given up after `count` unanswered. */
export interface Keepalive {
  readonly interval: number;
  readonly count: number;
}

export interface HostProvider {
  readonly kind: HostKind;
  readonly features: ReadonlySet<HostFeature>;
  /**
   * Readies what every host needs (an engine, an image) before anything is written, and
   * says what the hosts will run. Throws UsageError with a fix when that cannot be had.
   */
  prepare(log: (line: string) => void): Promise<Readonly<Record<string, string>>>;
  /** Creates the hosts of one scenario run inside runDir; their times are on `clock`. */
  create(specs: ReadonlyArray<HostSpec>, runDir: string, clock: Clock): Promise<Host[]>;
  /**
   * Removes every host this process's session made that is still there (what interrupted
   * workers could not remove). Providers whose hosts die with their owner need none.
   */
  removeLeftovers?(log: (line: string) => void): Promise<void>;
}
