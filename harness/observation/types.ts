// What the runner observed while it played a scenario: the only input of a judge. Times are
// milliseconds on one clock that starts with the scenario.

import type { DriverEvent, MigrationInfo, MigrationSettings, RunState, Side } from '../drivers/types.ts';
import type { MemoryCheck } from '../guest/memory-check.ts';
import type { ProcessExit } from '../hosts/types.ts';

export interface StepRecord {
  readonly index: number;
  readonly do: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: 'ok' | 'deadline' | 'unavailable';
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
}

export interface MemoryObservation extends MemoryCheck {
  /** When the check began: the guest was paused from then on. */
  readonly t: number;
  /** The guest's own pass and boot counters, read from its memory. */
  readonly counters: { passes: number; boots: number };
}

export interface MigrationObservation {
  readonly requestedAt: number;
  readonly settings: MigrationSettings;
  readonly unreachable: boolean;
  /** query-migrate (or the driver's equivalent) after the last step. */
  readonly final?: MigrationInfo;
  readonly cancelRequestedAt?: number;
}

export interface Observation {
  readonly scenario: { readonly name: string; readonly file: string; readonly judges: ReadonlyArray<string> };
  readonly driver: { readonly name: string; readonly versions: Record<string, string>; readonly accelerator?: string };

  readonly hostKind: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly steps: ReadonlyArray<StepRecord>;
  readonly events: ReadonlyArray<DriverEvent>;
  readonly states: ReadonlyArray<RunStateSample>;
  readonly progress: Readonly<Record<Side, SideProgress>>;
  readonly migration?: MigrationObservation;
  readonly memory: Partial<Readonly<Record<Side, MemoryObservation>>>;
  readonly exits: Partial<Readonly<Record<Side, ProcessExit>>>;
  /** Files kept as evidence, relative to the scenario's evidence folder. */
  readonly evidence: ReadonlyArray<{ readonly label: string; readonly path: string }>;
}
