import type { Driver, DriverEvent, GuestHandle, GuestSpec, MigrationJob, MigrationStatus, Side } from '../drivers/types.ts';
import type { Host, ProcessExit } from '../hosts/types.ts';
import type { SerialRecorder } from '../observation/serial.ts';
import type {
  CallProbe, DaemonSample, DeadlockObservation, DiskObservation, FaultRecord, InventorySample, MemoryObservation, MigrationObservation, RunStateSample, SpiceSnapshot, StepRecord,
} from '../observation/types.ts';
import type { SpiceClient } from '../spice/client.ts';
import type { Relay } from '../faults/relay.ts';
import type { Display } from '../spice/display.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Clock } from '../util/clock.ts';
import type { Wakeup } from '../util/deadline.ts';

/** The scenario's `guest`; others are named in `guests`. */
export const MAIN_GUEST = 'main';

/** One guest of the scenario, on both sides of its migration. */
export interface GuestRun {
  readonly key: string;
  /** The guest as the driver needs it, less the per-side serial socket. */
  readonly spec: Omit<GuestSpec, 'serialSocket'>;
  /** The host it starts on. */
  readonly on: string;
  readonly sides: Partial<Record<Side, GuestHandle>>;
  readonly serial: Partial<Record<Side, SerialRecorder>>;
  readonly events: DriverEvent[];
  /** Rung for each event pushed to `events`: waits on them wake at once. */
  readonly eventArrived: Wakeup;
  readonly states: RunStateSample[];
  readonly memory: Partial<Record<Side, MemoryObservation>>;
  readonly disks: Partial<Record<Side, DiskObservation>>;
  /** Emulator exits seen while the scenario played (not the teardown's). */
  readonly exits: Partial<Record<Side, ProcessExit>>;
  job?: MigrationJob;
  migration?: MigrationObservation;
  /** The destination's UUID when the scenario gave it another one ('none': no UUID). */
  destinationUuid?: string;
  /** The harness's relays its migration stream went through (one per connection target). */
  readonly relays: Relay[];
}

/** What the steps of one scenario share while it plays. */
export interface RunContext {
  readonly scenario: Scenario;
  readonly driver: Driver;
  readonly hosts: ReadonlyMap<string, Host>;
  readonly clock: Clock;
  readonly progress: (line: string) => void;
  readonly fleet: ReadonlyMap<string, GuestRun>;
  readonly steps: StepRecord[];
  readonly daemons: DaemonSample[];
  readonly calls: CallProbe[];
  readonly faults: FaultRecord[];
  deadlock?: DeadlockObservation;
  readonly spice: SpiceSnapshot[];
  readonly inventories: InventorySample[];
  /** Faults armed to strike when a guest's migration reaches a status (fired from its event). */
  readonly triggers: Array<{ readonly guest: string; readonly status: MigrationStatus; readonly fire: () => void }>;
  /** Files the steps themselves produced, kept as evidence. */
  readonly evidence: Array<{ readonly label: string; readonly path: string }>;
  /** The harness's SPICE client, its display, and a blackhole, once a step made them. */
  spiceClient?: SpiceClient;
  display?: Display;
  /** Background observers (daemon sampling) to stop when the scenario ends. */
  readonly background: Array<() => Promise<void>>;
}

/** A wait that ran out: the scenario stops there and the judges see how far it got. */
export class StepDeadline extends Error {}

/** What the step would observe no longer exists (a guest that is gone): also an observation. */
export class StepUnavailable extends Error {}

export function guestRun(ctx: RunContext, key: string = MAIN_GUEST): GuestRun {
  const run = ctx.fleet.get(key);
  if (!run) throw new Error(`no guest '${key}' in this scenario`);
  return run;
}

export function hostNamed(ctx: RunContext, name: string): Host {
  const host = ctx.hosts.get(name);
  if (!host) throw new Error(`no host '${name}'`);
  return host;
}
