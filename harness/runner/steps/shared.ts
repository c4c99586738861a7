import { join } from 'node:path';
import type { MigrationSettings, Side } from '../../drivers/types.ts';
import { SerialRecorder } from '../../observation/serial.ts';
import type { Step, StepOf } from '../../scenario/schema.ts';
import { DeadlineError } from '../../util/deadline.ts';
import { hostNamed, MAIN_GUEST, StepDeadline, type GuestRun, type RunContext } from '../context.ts';

// What the step handlers share: their type, how a guest's side is started, how states are
// sampled, and how a guest is named in progress lines.

export type Handler<K extends Step['do']> = (ctx: RunContext, step: StepOf<K>) => Promise<string | void>;
export type Handlers = { [K in Step['do']]: Handler<K> };
/** Some of the handlers: each module of steps/ offers those of one concern. */
export type StepHandlers = Partial<Handlers>;

export const label = (guest: GuestRun): string => (guest.key === MAIN_GUEST ? 'guest' : `guest ${guest.key}`);

/** Starts one side of a guest, its serial line recorded by the harness. */
export async function startSide(ctx: RunContext, guest: GuestRun, side: Side, hostName: string, incoming: boolean, spec = guest.spec, incomingSettings?: MigrationSettings) {
  const host = hostNamed(ctx, hostName);
  const suffix = guest.key === MAIN_GUEST ? side : `${guest.key}-${side}`;
  const serial = await SerialRecorder.listen(join(host.workDir, `serial-${suffix}.sock`), ctx.clock);
  guest.serial[side] = serial;
  const handle = await ctx.driver.startGuest({ host, side, incoming, spec: { ...spec, serialSocket: serial.path }, ...(incomingSettings && { incomingSettings }) });
  guest.sides[side] = handle;
  void handle.exited.then((exit) => (guest.exits[side] ??= exit));
  return handle;
}

/** One run-state sample of every side of every guest. */
export async function sampleStates(ctx: RunContext): Promise<void> {
  for (const guest of ctx.fleet.values()) {
    for (const side of ['source', 'destination'] as const) {
      const handle = guest.sides[side];
      if (!handle) continue;
      const state = await handle.runState().catch(() => 'gone' as const);
      guest.states.push({ t: ctx.clock(), side, state });
    }
  }
}

/** A harness wait that ran out, as the step's deadline. */
export async function asStepDeadline<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DeadlineError) throw new StepDeadline(err.message);
    throw err;
  }
}
