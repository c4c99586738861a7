// The driver axis: the migration implementation under test. The suites reach an
// implementation only through this interface (as csi-sanity reaches a CSI driver), so a
// vendor certifies its own stack by passing `--driver ./my-driver.ts`: a module whose
// default export (or `createDriver` export) is a DriverFactory.

import type { EmulatorChoice, Host, HostKind, ProcessExit } from '../hosts/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Capability, MigrationStatus, MustSucceedFeature, RunState, Side } from './vocabulary.ts';

export type { Capability, MigrationStatus, RunState, Side } from './vocabulary.ts';

export interface GuestSpec {
  readonly name: string;
  /** The guest's UUID; none at all when not given (QEMU then has no -uuid). */
  readonly uuid?: string;
  /** The 512-byte boot sector of the test guest, a file readable from the harness. */
  readonly bootImage: string;
  readonly memoryMiB: number;
  /** A UNIX socket the harness listens on: the guest's COM1 must connect to it. */
  readonly serialSocket: string;
  readonly machine?: string;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  /** A SPICE display the harness's client connects to (drivers that cannot, refuse). */
  readonly spice?: boolean;
  /** Which of the host's QEMUs runs the guest (same-host upgrade: oldest, then newest). */
  readonly emulator?: EmulatorChoice;
  /**
   * Guest RAM in a shared file of the host (memory-backend-file, share=on), named after the
   * guest: two QEMUs of one host then map the same RAM.
   */
  readonly sharedMemory?: boolean;
  /**
   * Ready for cpr-transfer (QEMU >= 10.0): RAM shared, and QEMU's auxiliary RAM (ROMs, ACPI
   * tables) shared too (aux-ram-share=on), so a new QEMU can take it all over by descriptor.
   */
  readonly cpr?: boolean;
  /**
   * A data disk (raw, readable from the harness) the guest reads as the primary slave: the
   * disk-reading guest checks every sector of it. Each host gets its own copy.
   */
  readonly dataDisk?: string;
}

/** One channel of a connected SPICE client, as the server lists it. */
export interface SpiceChannel {
  readonly connectionId: number;
  readonly channelType: number;
  readonly channelId: number;
  readonly host?: string;
  readonly port?: string;
}

export interface SpiceStatus {
  readonly enabled: boolean;
  /** Whether the server says its client session was migrated here. */
  readonly migrated: boolean;
  readonly channels: ReadonlyArray<SpiceChannel>;
}

/** Where the source tells its SPICE client to go before migrating. */
export type SpiceRelocation = 'destination' | 'none' | { readonly host: string; readonly port: number };

export interface StartGuestRequest {
  readonly host: Host;
  readonly side: Side;
  readonly spec: GuestSpec;
  /** Start as a migration destination: wait for the incoming state, do not boot. */
  readonly incoming: boolean;
  /**
   * The migration it will receive: a cpr-transfer destination, or one whose disk streams
   * from the source or is mirrored to, starts differently.
   */
  readonly incomingSettings?: MigrationSettings;
}

/** Something the implementation reported, time-stamped on the harness clock. */
export interface DriverEvent {
  readonly t: number;
  readonly side: Side;
  /** The guest's name (GuestSpec.name), when the driver runs several. */
  readonly guest?: string;
  /** The host the event came from (two guests on two hosts may share a name). */
  readonly host?: string;
  /** The implementation's own name for it (QMP event name for QEMU, e.g. 'MIGRATION'). */
  readonly name: string;
  /** Set on migration status changes. */
  readonly migrationStatus?: MigrationStatus;
  /** Set when the implementation enters a phase of its migration protocol (e.g. libvirt's 'perform3'). */
  readonly phase?: string;
  readonly data?: unknown;
}

export interface EvidenceFile {
  /** e.g. "QMP transcript (source)" */
  readonly label: string;
  readonly path: string;
}

/** Receives guest memory as it is read: `chunk` holds the bytes at guest-physical `address` on. */
export type MemoryVisitor = (chunk: Uint8Array, address: number) => void;

export interface GuestHandle {
  readonly side: Side;
  readonly host: Host;
  /** The accelerator the guest really runs on (e.g. 'kvm', 'tcg'), when the driver knows. */
  readonly accelerator?: string;
  /** The version of the emulator that runs the guest, e.g. '10.0.13', when the driver knows. */
  readonly emulatorVersion?: string;
  runState(): Promise<RunState>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * Guest-physical memory, handed to `visit` in order, a chunk at a time (the chunk is reused
   * after `visit` returns); call it with the guest paused for a consistent copy.
   */
  scanMemory(address: number, length: number, visit: MemoryVisitor): Promise<void>;
  /** Resolves when the guest's emulator process has ended (never, while it runs). */
  readonly exited: Promise<ProcessExit>;
  /** Files worth keeping: protocol transcripts, emulator logs. */
  evidence(): EvidenceFile[];
  /** The SPICE server of a guest started with spice, and what it serves now. */
  readonly spiceAddress?: { readonly host: string; readonly port: number };
  spice?(): Promise<SpiceStatus>;
  /** Where the guest's data disk lies on its host, for a check after the fact (drivers that know). */
  dataDiskImage?(): { readonly path: string; readonly format: 'raw' | 'qcow2' } | undefined;
  /** Signals the guest's emulator process: a fault (SIGKILL), or a freeze and thaw. */
  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  /** Ends the guest at once (idempotent). */
  destroy(): Promise<void>;
}

export interface MigrationSettings {
  readonly transport: 'unix' | 'tcp';
  /** Bytes per second; high by default so the test measures the implementation, not a throttle. */
  readonly maxBandwidth?: number;
  readonly downtimeLimitMs?: number;
  /** Graphics relocation (client_migrate_info, libvirt's graphics URI); default: the destination. */
  readonly spice?: SpiceRelocation;
  /** Leave RAM that both sides share out of the stream (QEMU's x-ignore-shared). */
  readonly ignoreShared?: boolean;
  /** The destination checks the source's UUID against its own (QEMU's validate-uuid). */
  readonly validateUuid?: boolean;
  /** QEMU's migration mode: 'cpr-transfer' hands RAM over by file descriptors (QEMU >= 10.0). */
  readonly mode?: 'normal' | 'cpr-transfer';
  /** Post-copy allowed (postcopy-ram on both sides); the switch comes with startPostcopy(). */
  readonly postcopy?: boolean;
  /** Bytes per second for pages sent after the switch (max-postcopy-bandwidth). */
  readonly postcopyBandwidth?: number;
  /**
   * The harness's breakable link: a driver that can, sends the migration stream through the
   * address this returns for the destination's listening address (again on recovery), so that
   * link faults can cut it. Drivers whose hosts have their own links may ignore it.
   */
  readonly relay?: (destination: {
    readonly host: string;
    readonly port: number;
  }) => Promise<{ readonly host: string; readonly port: number }>;
  /** How the data disk moves, when the hosts share no storage. */
  readonly storage?: StorageMigration;
  /** Features whose failure at the destination must fail the migration (capability must-succeed). */
  readonly mustSucceed?: ReadonlyArray<MustSucceedFeature>;
}

/**
 * 'stream-after': the destination's disk is a copy-on-read overlay over an NBD export of the
 * source's, streamed in after cut-over (seed 003); 'mirror-before': the source mirrors its
 * disk into the destination's before cut-over (blockdev-mirror, libvirt's storage copy).
 */
export interface StorageMigration {
  readonly mode: 'stream-after' | 'mirror-before';
  /** Bytes per second of the stream or mirror job. */
  readonly bandwidth?: number;
  /** What the destination's disk does on a failed read or write: stop the guest, or tell it. */
  readonly errorPolicy?: 'stop' | 'report';
}

/** How a post-copy migration that paused is taken up again. */
export interface RecoverOptions {
  /** A new post-copy bandwidth once recovered (to finish quickly). */
  readonly postcopyBandwidth?: number;
}

/** A setting this implementation cannot honour: the step that asked is unavailable, not failed. */
export class Unsupported extends Error {
  override name = 'Unsupported';
}

/**
 * The implementation answered a request with an error (it refused to recover, say): what it
 * did, for the judges, not a failure of cutover's.
 */
export class Refused extends Error {
  override name = 'Refused';
}

export interface MigrationInfo {
  /** QEMU's status (or the implementation's, mapped onto QEMU's words). */
  readonly status: MigrationStatus;
  /**
   * Whether the implementation still works on the migration. A management layer's job can
   * outlive QEMU's 'completed' (libvirt still has to finish at the destination); when not
   * given, a completed, failed or cancelled status ends the job.
   */
  readonly jobRunning?: boolean;
  readonly errorDesc?: string;
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  readonly setupTimeMs?: number;
  readonly transferredBytes?: number;
  readonly ramTotalBytes?: number;
}

export interface MigrationJob {
  info(): Promise<MigrationInfo>;
  cancel(): Promise<void>;
  /** Switches a migration started with `postcopy` to post-copy (the guest runs at the destination). */
  startPostcopy?(): Promise<void>;
  /** Resumes a paused post-copy migration over a new connection (migrate-recover, --postcopy-resume). */
  recover?(options: RecoverOptions): Promise<void>;
}

/** Where to migrate: a started destination guest, or a host where nothing listens. */
export type MigrationTarget = { readonly guest: GuestHandle } | { readonly unreachable: Host };

export interface MigrateRequest {
  readonly source: GuestHandle;
  readonly target: MigrationTarget;
  readonly settings: MigrationSettings;
}

export interface DriverDescription {
  /** Component versions for the certificate, e.g. { qemu: '7.2.22' }. */
  readonly versions: Record<string, string>;
}

/** A guest a host's management layer holds, running or not. */
export interface InventoryEntry {
  readonly name: string;
  readonly uuid?: string;
  readonly state: string;
}

/** libvirtd's worker pool as its admin interface reports it (virt-admin server-threadpool-info). */
export interface ThreadPool {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly nWorkers: number;
  readonly freeWorkers: number;
  readonly prioWorkers: number;
  readonly jobQueueDepth: number;
}

/** How a daemon may be ended before it is started again. */
export const DAEMON_STOP_SIGNALS = ['SIGKILL', 'SIGINT', 'SIGTERM'] as const;
export type DaemonStopSignal = (typeof DAEMON_STOP_SIGNALS)[number];

/** Management calls a daemon facet can probe: high priority (answered by reserved workers) or low. */
export const PROBE_CALLS = { list: 'high', domstate: 'high', destroy: 'high', domjobinfo: 'low' } as const;
export type ProbeCall = keyof typeof PROBE_CALLS;

/** A management call made to see whether a daemon answers, and how fast. */
export interface ProbeResult {
  /** The call as made, e.g. "virsh domjobinfo g1". */
  readonly call: string;
  readonly priority: 'high' | 'low';
  /** 'error': the daemon answered with an error; 'no-answer': nothing within the bound. */
  readonly outcome: 'answered' | 'error' | 'no-answer';
  readonly latencyMs: number;
  readonly detail?: string;
}

/**
 * The optional facet of an implementation that runs management daemons on its hosts (libvirt):
 * their worker pools, calls probed by priority, and the daemon itself as a fault's target.
 */
export interface DaemonFacet {
  pool(host: Host): Promise<ThreadPool>;
  probe(host: Host, call: ProbeCall, guest: string, withinMs: number): Promise<ProbeResult>;
  /** Freezes (SIGSTOP), thaws (SIGCONT) or kills the daemon. */
  signal(host: Host, signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): Promise<void>;
  /**
   * Ends the daemon (even a frozen or deadlocked one) with the signal (SIGKILL by default;
   * SIGINT or SIGTERM let it shut down as it would) and starts it again, until it answers.
   */
  restart(host: Host, signal?: DaemonStopSignal): Promise<void>;
}

/**
 * The optional facet of an implementation whose destination can be told to refuse Prepare
 * (libvirt's qemu hook for operation 'migrate'; a destination that cannot start).
 */
export interface PrepareGate {
  /** From now on, every migration to this host fails in Prepare with this reason. */
  refuse(host: Host, reason: string): Promise<void>;
}

/** The phases of its migration protocol an implementation reports (capability protocol-phases), per side. */
export interface ProtocolPhases {
  readonly source: ReadonlyArray<string>;
  readonly destination: ReadonlyArray<string>;
  /** Phases of libvirt's protocol it has no counterpart for, and why, in its own terms. */
  readonly absent?: Readonly<Record<string, string>>;
}

export interface Driver {
  readonly name: string;
  /** What this implementation can do: steps, faults and requirements that need more are skipped. */
  readonly capabilities: ReadonlySet<Capability>;
  /** Why it lacks some capabilities, in its own terms (shown in skips). */
  readonly limits?: Readonly<Partial<Record<Capability, string>>>;
  /** Present when the implementation runs daemons with worker pools on its hosts. */
  readonly daemons?: DaemonFacet;
  /** With protocol-phases: the phases it reports, on which sides. */
  readonly phases?: ProtocolPhases;
  /** Present when a destination can be made to refuse Prepare (the refuse-prepare fault). */
  readonly prepareGate?: PrepareGate;
  /** The host kinds it can run on, when not every kind (its daemon lives on the host): checked before a run. */
  readonly hostKinds?: ReadonlyArray<HostKind>;
  /** Checks the implementation is usable here; throws UsageError with a fix when not. */
  describe(): Promise<DriverDescription>;
  startGuest(request: StartGuestRequest): Promise<GuestHandle>;
  migrate(request: MigrateRequest): Promise<MigrationJob>;
  /** The guests the management layer holds on a host (libvirt's domains, QEMU processes). */
  inventory?(host: Host): Promise<InventoryEntry[]>;
  /** Subscribes to events of every guest this driver started; returns the unsubscribe. */
  onEvent(listener: (event: DriverEvent) => void): () => void;
  /** Ends every guest this driver started. */
  close(): Promise<void>;
}

export interface DriverContext {
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** The scenario's driver options, as written. */
  readonly options: Readonly<Record<string, unknown>>;
}

export type DriverFactory = (context: DriverContext) => Driver;
