// QMP wire types and the typed command results the harness relies on.
// Result types keep an index signature: QEMU adds fields between releases and the
// harness must not lose them (they end up in evidence), nor break on them.

/** Where QEMU's QMP socket is: a UNIX socket path, or a TCP endpoint. */
export type QmpTarget = string | { host: string; port: number };

export interface QmpVersionTriple {
  major: number;
  minor: number;
  micro: number;
}

/** query-version result; also embedded in the greeting. */
export interface QmpVersionInfo {
  qemu: QmpVersionTriple;
  package: string;
  [key: string]: unknown;
}

/** The first line QEMU sends on a new connection. */
export interface QmpGreeting {
  QMP: {
    version: QmpVersionInfo;
    /** Optional protocol features the server offers, e.g. 'oob'. */
    capabilities: string[];
    [key: string]: unknown;
  };
}

/** QEMU's own event time: wall clock at emission, split as in the protocol. */
export interface QmpTimestamp {
  seconds: number;
  microseconds: number;
}

export interface QmpEvent {
  event: string;
  /** Normalised to {} when QEMU omits it, so callers need not check. */
  data: Record<string, unknown>;
  timestamp: QmpTimestamp;
}

/** An event as buffered by the client. */
export interface ReceivedEvent extends QmpEvent {
  /** Position in the client's event buffer (usable as `since`). */
  readonly index: number;
  /** Harness clock (ms) when the line carrying the event arrived. */
  readonly receivedAt: number;
}

/** Well-known error classes; QEMU may send others. */
export type QmpErrorClass =
  | 'GenericError'
  | 'CommandNotFound'
  | 'DeviceNotActive'
  | 'DeviceNotFound'
  | 'KVMMissingCap'
  | (string & {});

/** The `error` member of an error reply. */
export interface QmpErrorBody {
  class: QmpErrorClass;
  desc: string;
}

export interface QmpReturnReply {
  return: unknown;
  id?: unknown;
}

export interface QmpErrorReply {
  error: QmpErrorBody;
  id?: unknown;
}

/** A command as sent on the wire; `exec-oob` replaces `execute` for out-of-band commands. */
export interface QmpCommandMessage {
  execute?: string;
  'exec-oob'?: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

/** One line of QMP traffic, for evidence. `line` has no line terminator. */
export interface TranscriptEntry {
  t: number;
  dir: 'send' | 'recv';
  line: string;
}

/** Why a connection ended; `closed` resolves with this. */
export interface QmpCloseReason {
  cause: 'client' | 'peer' | 'socket-error' | 'protocol-error' | 'connect-failed';
  message: string;
  error?: Error;
}

// ---- query-status ----

export type RunState =
  | 'debug'
  | 'inmigrate'
  | 'internal-error'
  | 'io-error'
  | 'paused'
  | 'postmigrate'
  | 'prelaunch'
  | 'finish-migrate'
  | 'restore-vm'
  | 'running'
  | 'save-vm'
  | 'shutdown'
  | 'suspended'
  | 'watchdog'
  | 'guest-panicked'
  | 'colo';

export interface StatusInfo {
  status: RunState;
  running: boolean;
  [key: string]: unknown;
}

// ---- query-migrate ----

export type MigrationStatus =
  | 'none'
  | 'setup'
  | 'cancelling'
  | 'cancelled'
  | 'active'
  | 'postcopy-active'
  | 'postcopy-paused'
  | 'postcopy-recover-setup'
  | 'postcopy-recover'
  | 'completed'
  | 'failed'
  | 'colo'
  | 'pre-switchover'
  | 'device'
  | 'wait-unplug';

/** RAM transfer counters; the required ones exist in every QEMU the harness supports. */
export interface MigrationRamStats {
  transferred: number;
  total: number;
  remaining: number;
  duplicate: number;
  normal: number;
  mbps: number;
  'dirty-sync-count': number;
  'normal-bytes'?: number;
  'dirty-pages-rate'?: number;
  'page-size'?: number;
  'postcopy-requests'?: number;
  'multifd-bytes'?: number;
  'pages-per-second'?: number;
  'precopy-bytes'?: number;
  'downtime-bytes'?: number;
  'postcopy-bytes'?: number;
  [key: string]: unknown;
}

export interface MigrationDiskStats {
  transferred: number;
  total: number;
  remaining: number;
  [key: string]: unknown;
}

export interface MigrationInfo {
  /** Absent before any migration: QEMU then answers query-migrate with {}. */
  status?: MigrationStatus;
  ram?: MigrationRamStats;
  disk?: MigrationDiskStats;
  /** ms since migration started (or total, once completed). */
  'total-time'?: number;
  /** ms the guest was stopped; only once completed. */
  downtime?: number;
  /** ms; estimate while active. */
  'expected-downtime'?: number;
  /** ms spent in setup. */
  'setup-time'?: number;
  'cpu-throttle-percentage'?: number;
  'error-desc'?: string;
  'blocked-reasons'?: string[];
  [key: string]: unknown;
}
