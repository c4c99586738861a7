import { join } from 'node:path';
import type {
  Capability,
  Driver,
  GuestHandle,
  GuestSpec,
  MigrationJob,
  MigrationSettings,
  Side,
} from '../drivers/types.ts';
import { SIDES } from '../drivers/vocabulary.ts';
import type { FaultScope } from '../faults/types.ts';
import type { Host, HostFeature } from '../hosts/types.ts';
import type { MigrationLink } from '../network/link.ts';
import { MAIN_GUEST } from '../observation/derive.ts';
import type { History } from '../observation/history.ts';
import { SerialRecorder } from '../observation/serial.ts';
import type { SpiceClient } from '../spice/client.ts';
import type { Display } from '../spice/display.ts';
import type { Clock } from '../util/clock.ts';
import { DeadlineError, withDeadline } from '../util/deadline.ts';
import { Unavailable, WaitExpired } from '../util/errors.ts';
import { Unsupported } from '../drivers/types.ts';
import { ANSWER_MS, lookBound } from './looks.ts';

/** One guest of the scenario, on both sides of its migration: the live handles (what happened is in the history). */
export interface GuestRun {
  readonly key: string;
  /** The guest as the driver needs it, less the per-side serial socket. */
  readonly spec: Omit<GuestSpec, 'serialSocket'>;
  /** The host it starts on. */
  readonly on: string;
  readonly sides: Partial<Record<Side, GuestHandle>>;
  readonly serial: Partial<Record<Side, SerialRecorder>>;
  job?: MigrationJob;
  /** Its migration once asked for: when, and to which host. */
  migration?: { readonly requestedAt: number; readonly to: string };
  /** Its migration link through the harness (relays), which link faults act on. */
  readonly link: MigrationLink;
}

/** What the steps of one scenario share while it plays. */
export interface RunContext extends FaultScope {
  readonly driver: Driver;
  readonly capabilities: ReadonlySet<Capability>;
  readonly hostFeatures: ReadonlySet<HostFeature>;
  /** The kind of hosts the scenario runs on (process, container). */
  readonly hostKind: string;
  readonly hosts: ReadonlyMap<string, Host>;
  readonly clock: Clock;
  readonly say: (line: string) => void;
  readonly history: History;
  readonly fleet: ReadonlyMap<string, GuestRun>;
  /** Background work (daemon sampling, listeners) to stop when the scenario ends. */
  readonly background: Array<() => Promise<void>>;
  /** Faults placed at a moment that has not come yet; the runner disarms them at the end. */
  readonly armed: Array<() => void>;
  /** The harness's SPICE client and its display, once a step made them. */
  spice?: { readonly client: SpiceClient; readonly display?: Display };
}

export type RunContextBase = Omit<RunContext, 'host' | 'side' | 'link' | 'spiceClient'>;

/** A RunContext whose fault scope reaches the guests, hosts and client of this run. */
export function makeRunContext(base: RunContextBase): RunContext {
  const ctx: RunContext = {
    ...base,
    host: (name) => hostNamed(ctx, name),
    side: (guest, side) => {
      const run = guestRun(ctx, guest);
      const handle = run.sides[side];
      if (!handle) throw new Unavailable(`${label(run)} has no ${side} (yet)`);
      return handle;
    },
    link: (guest) => {
      const run = guestRun(ctx, guest);
      const to = run.migration?.to;
      return { link: run.link, ...(to !== undefined && { destination: hostNamed(ctx, to) }) };
    },
    spiceClient: () => ctx.spice?.client,
  };
  return ctx;
}

export function guestRun(ctx: Pick<RunContext, 'fleet'>, key: string = MAIN_GUEST): GuestRun {
  const run = ctx.fleet.get(key);
  if (!run) throw new Error(`no guest '${key}' in this scenario`);
  return run;
}

export function hostNamed(ctx: Pick<RunContext, 'hosts'>, name: string): Host {
  const host = ctx.hosts.get(name);
  if (!host) throw new Error(`no host '${name}'`);
  return host;
}

export const label = (guest: GuestRun): string => (guest.key === MAIN_GUEST ? 'guest' : `guest ${guest.key}`);

/** The step needs a capability the driver did not declare: unsupported, in the driver's terms. */
export function requireCapability(ctx: RunContext, capability: Capability, what: string): void {
  if (ctx.capabilities.has(capability)) return;
  const why = ctx.driver.limits?.[capability];
  throw new Unsupported(
    `the ${ctx.driver.name} driver cannot ${what} (no capability '${capability}')${why ? `: ${why}` : ''}`,
  );
}

/** Starts one side of a guest, its serial line recorded into the history. */
export async function startSide(
  ctx: RunContext,
  guest: GuestRun,
  side: Side,
  hostName: string,
  incoming: boolean,
  spec: GuestRun['spec'] = guest.spec,
  incomingSettings?: MigrationSettings,
): Promise<GuestHandle> {
  const host = hostNamed(ctx, hostName);
  const suffix = guest.key === MAIN_GUEST ? side : `${guest.key}-${side}`;
  const serial = await SerialRecorder.listen(join(host.workDir, `serial-${suffix}.sock`), ctx.clock, (t, text) => {
    ctx.history.append({ type: 'progress', t, guest: guest.key, side, text });
  });
  guest.serial[side] = serial;
  const handle = await ctx.driver.startGuest({
    host,
    side,
    incoming,
    spec: { ...spec, serialSocket: serial.path },
    ...(incomingSettings && { incomingSettings }),
  });
  guest.sides[side] = handle;
  ctx.history.append({
    type: 'guest',
    guest: guest.key,
    side,
    host: host.name,
    ...(handle.emulatorVersion && { emulatorVersion: handle.emulatorVersion }),
    ...(handle.accelerator && { accelerator: handle.accelerator }),
  });
  void handle.exited.then((exit) => ctx.history.append({ type: 'exit', t: exit.t, guest: guest.key, side, exit }));
  return handle;
}

/**
 * One run-state sample of every side of every guest. A query that fails or does not answer
 * within its bound says 'gone' only when the guest's process is known to have ended; else
 * 'unknown' (a frozen daemon or a cut link does not answer, and the guest may well run on).
 */
export async function sampleStates(ctx: RunContext): Promise<void> {
  for (const guest of ctx.fleet.values()) {
    for (const side of SIDES) {
      const handle = guest.sides[side];
      if (!handle) continue;
      const state = await withDeadline('a state query', lookBound(ANSWER_MS), handle.runState()).catch(async () =>
        (await hasEnded(handle)) ? ('gone' as const) : ('unknown' as const),
      );
      ctx.history.append({ type: 'state', guest: guest.key, side, state });
    }
  }
}

/** Whether a guest's process has ended already (its exit has been seen). */
const hasEnded = (handle: GuestHandle): Promise<boolean> =>
  Promise.race([handle.exited.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);

/** The migration events of a guest seen since `since` on the history. */
export const migrationEvents = (ctx: RunContext, guest: GuestRun, since: number) =>
  ctx.history.of('event', (e) => e.guest === guest.key && e.t >= since).map((e) => e.event);

/** A harness wait that ran out, as the step's deadline. */
export async function asWaitExpired<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DeadlineError) throw new WaitExpired(err.message);
    throw err;
  }
}
