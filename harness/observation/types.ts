// What the runner observed while it played a scenario, derived from its history (derive.ts):
// the only input of a judge. Times are milliseconds on one clock that starts with the scenario.

import type {
  DriverEvent,
  InventoryEntry,
  MigrationInfo,
  ProbeResult,
  RunState,
  Side,
  SpiceStatus,
  ThreadPool,
} from '../drivers/types.ts';
import type { DiskCheck } from '../guest/disk-check.ts';
import type { MemoryCheck } from '../guest/memory-check.ts';
import type { ProcessExit } from '../hosts/types.ts';
import type {
  FaultTarget,
  HISTORY_FORMAT,
  HistoryEntry,
  HostRecord,
  MigrationRequest,
  SettleEnd,
  StepOutcome,
} from './history.ts';

export interface StepRecord {
  readonly index: number;
  readonly do: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** 'unsupported': the implementation cannot do what the step asks (its own words in detail). */
  readonly outcome: StepOutcome;
  readonly detail?: string;
}

export interface RunStateSample {
  readonly t: number;
  readonly side: Side;
  readonly state: RunState;
}

/** The guest's own progress as seen on its serial line: one time per character kind. */
export interface SideProgress {
  readonly boots: number[];
  readonly passes: number[];
  /** The disk-reading guest's findings: reads the disk failed, sectors of zeros, other mismatches. */
  readonly diskErrors?: number[];
  readonly zeroReads?: number[];
  readonly badReads?: number[];
}

export interface MemoryObservation extends MemoryCheck {
  /** When the check began: the guest was paused from then on. */
  readonly t: number;
  /** The guest's own pass and boot counters, read from its memory. */
  readonly counters: { passes: number; boots: number };
}

/** The pattern check of a guest's data disk, read from its host after the fact. */
export interface DiskObservation extends DiskCheck {
  readonly t: number;
}

export interface MigrationObservation {
  readonly requestedAt: number;
  /** Host names: the same one for a same-host migration. */
  readonly from?: string;
  readonly to?: string;
  readonly settings: MigrationRequest['settings'];
  readonly unreachable: boolean;
  /** query-migrate (or the driver's equivalent) after the last step. */
  readonly final?: MigrationInfo;
  readonly cancelRequestedAt?: number;
}

/** One guest besides the main one: what became of its migration. */
export interface GuestObservation {
  readonly spec?: GuestIdentity;
  readonly events: ReadonlyArray<DriverEvent>;
  readonly states: ReadonlyArray<RunStateSample>;
  readonly progress: Readonly<Record<Side, SideProgress>>;
  readonly migration?: MigrationObservation;
  readonly memory?: Partial<Readonly<Record<Side, MemoryObservation>>>;
}

/** Who a guest is, per side: its name, UUID and the emulator version that ran it. */
export interface GuestIdentity {
  readonly name: string;
  readonly uuid?: string;
  /** Guest RAM as configured, MiB. */
  readonly memoryMiB?: number;
  readonly emulators: Partial<Readonly<Record<Side, string>>>;
  /** The UUID the destination was given, when the scenario changed it ('none': no -uuid). */
  readonly destinationUuid?: string;
}

/** The guests one host's management layer held at one moment. */
export interface InventorySample {
  readonly t: number;
  readonly host: string;
  readonly guests: ReadonlyArray<InventoryEntry>;
}

/** A daemon's worker pool at one moment. */
export interface DaemonSample {
  readonly t: number;
  readonly host: string;
  readonly pool: ThreadPool;
}

/** A management call made to see whether a daemon answers, and how fast. */
export interface CallProbe extends ProbeResult {
  readonly t: number;
  readonly host: string;
}

/** A fault that struck (faults whose moment never came are not here). */
export interface FaultRecord {
  readonly t: number;
  /** The fault kind, as in harness/faults/<kind>/. */
  readonly kind: string;
  readonly target: FaultTarget;
  readonly placement: string;
  readonly detail?: string;
}

/** Something the scenario asked of the migration besides starting it. */
export interface ActionRecord {
  readonly t: number;
  readonly guest: string;
  readonly action: 'cancel' | 'start-postcopy' | 'recover';
  /** The implementation's answer when it refused the request. */
  readonly refused?: string;
}

/** Migrations that stopped moving while every daemon had no free worker and calls queued. */
export interface DeadlockObservation {
  /** First sample where every daemon had no free worker and a queue. */
  readonly onsetAt: number;
  readonly declaredAt: number;
  readonly guests: ReadonlyArray<string>;
  readonly pools: ReadonlyArray<DaemonSample>;
}

export type HostObservation = HostRecord;

/** A look after the fact that got no answer from the implementation: none within its bound, or an error (its history entry). */
export type UnansweredRecord = Omit<Extract<HistoryEntry, { type: 'unanswered' }>, 'type'>;

/** Both sides watched from `from` to `until` (ms), against a bound of `boundMs`. */
export interface SettleObservation {
  readonly from: number;
  readonly until: number;
  readonly boundMs: number;
  readonly basis: string;
  readonly endedBy: SettleEnd;
  readonly detail: string;
}

/** query-spice on one side, at one moment. */
export interface SpiceSnapshot {
  readonly t: number;
  readonly side: Side;
  readonly status: SpiceStatus;
}

export interface Observation {
  readonly format: typeof HISTORY_FORMAT;
  readonly scenario: { readonly name: string; readonly file: string; readonly judges: ReadonlyArray<string> };
  readonly driver: {
    readonly name: string;
    readonly versions: Record<string, string>;
    readonly accelerator?: string;
    /** What the implementation declared it can do. */
    readonly capabilities: ReadonlyArray<string>;
  };

  readonly hostKind: string;
  readonly hosts: Readonly<Record<string, HostObservation>>;
  readonly startedAt: string;
  /** The run's milliseconds per wall millisecond, when faster than 1 (emulated hosts, util/clock.ts). */
  readonly timeScale?: number;
  readonly durationMs: number;
  readonly steps: ReadonlyArray<StepRecord>;
  readonly events: ReadonlyArray<DriverEvent>;
  readonly states: ReadonlyArray<RunStateSample>;
  readonly progress: Readonly<Record<Side, SideProgress>>;
  readonly migration?: MigrationObservation;
  readonly memory: Partial<Readonly<Record<Side, MemoryObservation>>>;
  /** The main guest's data disk, checked sector by sector on a side's host. */
  readonly disks?: Partial<Readonly<Record<Side, DiskObservation>>>;
  /** The main guest's identity and the emulators that ran it. */
  readonly guest?: GuestIdentity;
  readonly inventories?: ReadonlyArray<InventorySample>;
  readonly exits: Partial<Readonly<Record<Side, ProcessExit>>>;
  /** Guests besides the main one, by their scenario names. */
  readonly guests: Readonly<Record<string, GuestObservation>>;
  readonly daemons: ReadonlyArray<DaemonSample>;
  readonly calls: ReadonlyArray<CallProbe>;
  readonly faults: ReadonlyArray<FaultRecord>;
  readonly actions: ReadonlyArray<ActionRecord>;
  readonly spice: ReadonlyArray<SpiceSnapshot>;
  /** Connections the main guest's SPICE client made to the unreachable target it was sent to. */
  readonly spiceTargets?: ReadonlyArray<{ readonly t: number }>;
  readonly deadlock?: DeadlockObservation;
  /** Looks after the fact the implementation left unanswered (absent in observations made before they were recorded). */
  readonly unanswered?: ReadonlyArray<UnansweredRecord>;
  /** The watch after the migration ended (the settle step), when the scenario kept one. */
  readonly settle?: SettleObservation;
  /** Files kept as evidence, relative to the scenario's evidence folder. */
  readonly evidence: ReadonlyArray<{ readonly label: string; readonly path: string }>;
}
