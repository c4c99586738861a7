import type { Driver, GuestHandle, MigrationJob, Side } from '../drivers/types.ts';
import type { Host } from '../hosts/types.ts';
import type { SerialRecorder } from '../observation/serial.ts';
import type { MemoryObservation, MigrationObservation, RunStateSample, StepRecord } from '../observation/types.ts';
import type { DriverEvent, GuestSpec } from '../drivers/types.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Clock } from '../util/clock.ts';

/** What the steps of one scenario share while it plays. */
export interface RunContext {
  readonly scenario: Scenario;
  readonly driver: Driver;
  readonly hosts: ReadonlyMap<string, Host>;
  readonly clock: Clock;
  readonly progress: (line: string) => void;
  /** The guest as the driver needs it, less the per-side serial socket. */
  readonly guestSpec: Omit<GuestSpec, 'serialSocket'>;
  readonly guests: Partial<Record<Side, GuestHandle>>;
  readonly serial: Partial<Record<Side, SerialRecorder>>;
  readonly events: DriverEvent[];
  readonly states: RunStateSample[];
  readonly steps: StepRecord[];
  readonly memory: Partial<Record<Side, MemoryObservation>>;
  job?: MigrationJob;
  migration?: MigrationObservation;
}

/** A wait that ran out: the scenario stops there and the judges see how far it got. */
export class StepDeadline extends Error {}

/** What the step would observe no longer exists (a guest that is gone): also an observation. */
export class StepUnavailable extends Error {}
