// One history per scenario (Jepsen's idea, in migration terms): everything the runner saw,
// did and struck is appended here as a typed, time-stamped entry, in order. The Observation
// that judges read is derived from it (derive.ts), and a stored history can be judged again.
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
import type { HostSpec, Keepalive, ProcessExit } from '../hosts/types.ts';
import type { Clock } from '../util/clock.ts';
import { Wakeup } from '../util/deadline.ts';

/** Bumped when a history or an observation changes shape; `cutover judge` refuses others. */
export const HISTORY_FORMAT = 2;

/** What a step's run ended as: 'deadline' (a wait ran out), 'unavailable' (what it acts on is
 * gone), 'unsupported' (the implementation cannot do what it asks, in its own words),
 * 'not-played' (it acts, and a wait before it ran out: only steps that look still play). */
export const STEP_OUTCOMES = ['ok', 'deadline', 'unavailable', 'unsupported', 'not-played'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

/** Who or what a fault acted on. */
export interface FaultTarget {
  readonly guest?: string;
  readonly side?: Side;
  /** The host it acted on (a side's host, a daemon's, a link's destination). */
  readonly host?: string;
}

/** The migration as the scenario asked for it (settings as data: no callbacks). */
export interface MigrationRequest {
  readonly from: string;
  readonly to: string;
  readonly unreachable: boolean;
  readonly settings: Readonly<Record<string, unknown>> & {
    readonly transport: 'unix' | 'tcp';
    readonly downtimeLimitMs?: number;
  };
  /** The destination's UUID when the scenario gave it another one ('none': no UUID). */
  readonly destinationUuid?: string;
}

/** Who a guest is: its name, UUID and RAM as configured. */
export interface GuestSpecRecord {
  readonly name: string;
  readonly uuid?: string;
  readonly memoryMiB: number;
  /** The disk-reading guest: its serial line also reports failed, zero and wrong reads. */
  readonly disk?: boolean;
}

export interface HostRecord {
  readonly kind: string;
  readonly address: string;
  /** What it runs: image, QEMU and libvirt versions. */
  readonly description: Readonly<Record<string, string>>;
  /** The scenario's settings for it (worker pool, keepalive, host UUID). */
  readonly settings: Omit<HostSpec, 'name'>;
  /** The keepalive its management daemon really keeps (the scenario's, else the host's default). */
  readonly keepalive?: Keepalive;
}

interface At {
  /** Milliseconds on the scenario's clock. */
  readonly t: number;
}

/** The guest a per-guest entry is about: its key in the scenario ('main' for `guest:`). */
interface OfGuest extends At {
  readonly guest: string;
}

export type HistoryEntry =
  | (At & {
      readonly type: 'begin';
      readonly format: typeof HISTORY_FORMAT;
      readonly startedAt: string;
      /** Emulated milliseconds per wall millisecond (util/clock.ts); absent: 1. */
      readonly timeScale?: number;
      readonly scenario: { readonly name: string; readonly file: string; readonly judges: ReadonlyArray<string> };
      readonly driver: {
        readonly name: string;
        readonly versions: Readonly<Record<string, string>>;
        readonly capabilities: ReadonlyArray<string>;
      };
      readonly hostKind: string;
      readonly hosts: Readonly<Record<string, HostRecord>>;
      readonly guests: Readonly<Record<string, GuestSpecRecord>>;
    })
  | (At & {
      readonly type: 'step';
      readonly index: number;
      readonly do: string;
      readonly startedAt: number;
      readonly outcome: StepOutcome;
      readonly detail?: string;
    })
  | (OfGuest & {
      readonly type: 'guest';
      readonly side: Side;
      readonly host: string;
      readonly emulatorVersion?: string;
      readonly accelerator?: string;
    })
  | (OfGuest & { readonly type: 'event'; readonly event: DriverEvent })
  | (OfGuest & { readonly type: 'state'; readonly side: Side; readonly state: RunState })
  /** Characters the guest wrote on its serial line, all arrived at t. */
  | (OfGuest & { readonly type: 'progress'; readonly side: Side; readonly text: string })
  | (OfGuest & { readonly type: 'exit'; readonly side: Side; readonly exit: ProcessExit })
  | (OfGuest & { readonly type: 'migrate' } & MigrationRequest)
  | (OfGuest & {
      readonly type: 'action';
      readonly action: 'cancel' | 'start-postcopy' | 'recover';
      /** The implementation's answer when it refused (a recovery it would not start). */
      readonly refused?: string;
    })
  /** What the implementation said of the migration at the end (query-migrate or its equivalent). */
  | (OfGuest & { readonly type: 'final'; readonly info: MigrationInfo })
  | (OfGuest & {
      readonly type: 'memory';
      readonly side: Side;
      readonly check: MemoryCheck;
      readonly counters: { readonly passes: number; readonly boots: number };
    })
  /**
   * A look at the implementation after the fact (a guest's state, a stop before its memory is
   * read, a memory dump, a SPICE query, an inventory) that got no answer within its bound, or
   * an error while the guest's process was still there: what was asked, and what came.
   */
  | (At & {
      readonly type: 'unanswered';
      readonly look: UnansweredLook;
      /** The scenario's key of the guest it was about ('main' for `guest:`), if any. */
      readonly guest?: string;
      readonly side?: Side;
      readonly host?: string;
      /** 'deadline': nothing came within boundMs; 'error': the implementation's call failed. */
      readonly cause: 'deadline' | 'error';
      readonly boundMs: number;
      readonly detail: string;
    })
  | (OfGuest & { readonly type: 'disk'; readonly side: Side; readonly check: DiskCheck })
  | (OfGuest & { readonly type: 'spice'; readonly side: Side; readonly status: SpiceStatus })
  /** A connection the SPICE client made to the unreachable target it was sent to (proof it tried to follow). */
  | (OfGuest & { readonly type: 'spice-target' })
  | (At & { readonly type: 'inventory'; readonly host: string; readonly guests: ReadonlyArray<InventoryEntry> })
  | (At & { readonly type: 'pool'; readonly host: string; readonly pool: ThreadPool })
  | (At & { readonly type: 'call'; readonly host: string } & ProbeResult)
  | (At & {
      readonly type: 'fault';
      readonly kind: string;
      readonly target: FaultTarget;
      /** Where the scenario placed it, as written ("now", "status setup (source)", ...). */
      readonly placement: string;
      /** 'never': its moment never came before the scenario ended. */
      readonly outcome: 'struck' | 'failed' | 'never';
      readonly detail?: string;
    })
  /** Both sides watched from `from` (the migration's end, or the last fault) until t. */
  | (At & {
      readonly type: 'settle';
      readonly from: number;
      readonly boundMs: number;
      readonly basis: string;
      readonly endedBy: SettleEnd;
      readonly detail: string;
    })
  | (At & {
      readonly type: 'deadlock';
      readonly onsetAt: number;
      readonly guests: ReadonlyArray<string>;
      readonly pools: ReadonlyArray<{ readonly t: number; readonly host: string; readonly pool: ThreadPool }>;
    })
  /** A file worth keeping that a step produced (a client's log), by absolute path. */
  | (At & { readonly type: 'evidence'; readonly label: string; readonly path: string })
  | (At & { readonly type: 'end' });

/** The looks after the fact whose silence is recorded: steps that only look, and the final status after the steps. */
export const UNANSWERED_LOOKS = ['check-memory', 'query-spice', 'inventory', 'final-status'] as const;
export type UnansweredLook = (typeof UNANSWERED_LOOKS)[number];

/** Why a settle ended: the bound was watched out, or only one copy of each guest was left that could run. */
export const SETTLE_ENDS = ['bound', 'one-copy'] as const;
export type SettleEnd = (typeof SETTLE_ENDS)[number];

export type EntryType = HistoryEntry['type'];
export type EntryOf<T extends EntryType> = Extract<HistoryEntry, { type: T }>;
/** An entry as appended: the history stamps its time unless it was measured elsewhere. */
export type NewEntry = HistoryEntry extends infer E
  ? E extends HistoryEntry
    ? Omit<E, 't'> & { t?: number }
    : never
  : never;

type Listener = (entry: HistoryEntry) => void;

/** The append-only log of one scenario run. */
export class History {
  readonly entries: HistoryEntry[] = [];
  private readonly listeners = new Set<Listener>();
  /** Entries by type, so a wait on events need not walk thousands of progress entries. */
  private readonly byType = new Map<EntryType, HistoryEntry[]>();
  private readonly wakeups = new Map<EntryType, Wakeup>();
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** Appends an entry (stamped now unless it carries its own time) and tells the listeners. */
  append<E extends NewEntry>(entry: E): E & { t: number } {
    const stamped = { ...entry, t: entry.t ?? this.clock() } as E & { t: number };
    if (this.closed) return stamped; // the teardown's own doings are not the scenario's
    const appended = stamped as unknown as HistoryEntry;
    this.entries.push(appended);
    const list = this.byType.get(appended.type);
    if (list) list.push(appended);
    else this.byType.set(appended.type, [appended]);
    this.wakeups.get(appended.type)?.ring();
    for (const listener of [...this.listeners]) listener(appended);
    return stamped;
  }

  /** Called with every entry appended from now on, until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The entries of one type, optionally narrowed. */
  of<T extends EntryType>(type: T, where: (entry: EntryOf<T>) => boolean = () => true): Array<EntryOf<T>> {
    return ((this.byType.get(type) ?? []) as Array<EntryOf<T>>).filter(where);
  }

  /** Resolves when an entry of one of these types is appended, or after `ms` at the latest. */
  next(types: ReadonlyArray<EntryType>, ms: number): Promise<void> {
    return Promise.race(
      types.map((type) => {
        let wakeup = this.wakeups.get(type);
        if (!wakeup) this.wakeups.set(type, (wakeup = new Wakeup()));
        return wakeup.next(ms);
      }),
    );
  }

  /** Ends the history: nothing is appended after the scenario's own end. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  now(): number {
    return this.clock();
  }
}

/** A history as stored: one JSON entry per line. */
export function historyToJsonl(entries: ReadonlyArray<HistoryEntry>): string {
  return `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
}

export function historyFromJsonl(text: string): HistoryEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as HistoryEntry);
}
