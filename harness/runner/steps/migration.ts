import { Unsupported, type MigrationSettings, type MigrationStatus, type SpiceRelocation } from '../../drivers/types.ts';
import { startBlackhole } from '../../faults/blackhole.ts';
import { startRelay } from '../../faults/relay.ts';
import type { StepOf } from '../../scenario/schema.ts';
import { formatMs, sleep } from '../../util/deadline.ts';
import { guestRun, hostNamed, StepDeadline, type GuestRun, type RunContext } from '../context.ts';
import { label, startSide, type StepHandlers } from './shared.ts';

/** A migration: starting it, waiting on its status, cancelling it, post-copy and its recovery. */
export const migrationSteps = {
  migrate: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    const source = guest.sides.source;
    if (!source) throw new Error(`migrate before start of ${label(guest)}`);
    const targetHost = hostNamed(ctx, step.to);
    const settings = {
      transport: step.transport,
      ...(step.maxBandwidth !== undefined && { maxBandwidth: step.maxBandwidth }),
      ...(step.downtimeLimit !== undefined && { downtimeLimitMs: step.downtimeLimit }),
      ...(step.ignoreShared && { ignoreShared: true }),
      ...(step.validateUuid && { validateUuid: true }),
      ...(step.mode !== 'normal' && { mode: step.mode }),
      ...(step.postcopy && { postcopy: true }),
      ...(step.postcopyBandwidth !== undefined && { postcopyBandwidth: step.postcopyBandwidth }),
      ...(step.relay && { relay: relayFor(ctx, guest) }),
      ...(step.storage && { storage: step.storage }),
    };
    if (step.destination.uuid !== undefined) guest.destinationUuid = step.destination.uuid;
    const target = step.unreachable
      ? { unreachable: targetHost }
      : { guest: await startSide(ctx, guest, 'destination', targetHost.name, true, destinationSpec(guest, step.destination), settings) };
    const spice = guest.spec.spice ? await spiceRelocation(ctx, step.spice) : undefined;
    const withSpice = spice ? { ...settings, spice } : settings;
    guest.migration = { requestedAt: ctx.clock(), from: source.host.name, to: targetHost.name, settings: withSpice, unreachable: step.unreachable };
    try {
      guest.job = await ctx.driver.migrate({ source, target, settings: withSpice });
    } catch (err) {
      // A fault armed for 'setup' may kill the source before its driver heard back: the
      // migration did start (its events say so); what follows is for the judges to see.
      const ended = await Promise.race([source.exited, sleep(500).then(() => undefined)]);
      if (!ended) throw err;
      return `migrating ${label(guest)} ${source.host.name} -> ${targetHost.name}; the source ended before the request was answered (${(err as Error).message})`;
    }
    return `migrating ${label(guest)} ${source.host.name} -> ${targetHost.name}${step.unreachable ? ' (unreachable)' : ''}`;
  },

  'wait-migration': async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    const status = await waitForMigrationStatus(ctx, guest, step.status, step.within);
    const error = status === 'failed' ? (await guest.job?.info().catch(() => undefined))?.errorDesc : undefined;
    return `${label(guest)} migration ${status}${error ? `: ${error}` : ''}`;
  },

  cancel: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    if (!guest.job || !guest.migration) throw new Error('cancel before migrate');
    guest.migration = { ...guest.migration, cancelRequestedAt: ctx.clock() };
    await guest.job.cancel();
  },

  'start-postcopy': async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    if (!guest.job) throw new Error('start-postcopy before migrate');
    if (!guest.job.startPostcopy) throw new Unsupported(`the ${ctx.driver.name} driver cannot switch to post-copy`);
    const t = ctx.clock();
    await guest.job.startPostcopy();
    ctx.faults.push({ t, fault: 'start-postcopy', host: guest.migration?.from ?? '' });
    return `${label(guest)}: switched to post-copy`;
  },

  recover: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    if (!guest.job) throw new Error('recover before migrate');
    if (!guest.job.recover) throw new Unsupported(`the ${ctx.driver.name} driver cannot recover a paused post-copy migration`);
    const t = ctx.clock();
    await guest.job.recover({ ...(step.postcopyBandwidth !== undefined && { postcopyBandwidth: step.postcopyBandwidth }) });
    ctx.faults.push({ t, fault: 'recover', host: guest.migration?.from ?? '' });
    return `${label(guest)}: post-copy recovery started`;
  },
} satisfies StepHandlers;

/** Where the SPICE client is sent: the destination, nowhere, or a blackhole of the harness's. */
async function spiceRelocation(ctx: RunContext, target: 'destination' | 'blackhole' | 'none'): Promise<SpiceRelocation> {
  if (target !== 'blackhole') return target;
  const hole = await startBlackhole();
  ctx.background.push(() => hole.close());
  return { host: hole.host, port: hole.port };
}

/** A relay in front of each address the driver migrates the guest to; link faults act on them. */
function relayFor(ctx: RunContext, guest: GuestRun): NonNullable<MigrationSettings['relay']> {
  return async (destination) => {
    const relay = await startRelay(destination);
    guest.relays.push(relay);
    ctx.background.push(() => relay.close());
    return { host: relay.host, port: relay.port };
  };
}

/** The destination's guest: the source's, with what the migrate step changes. */
function destinationSpec(guest: GuestRun, change: StepOf<'migrate'>['destination']): GuestRun['spec'] {
  const { uuid: _sourceUuid, ...rest } = guest.spec;
  const uuid = change.uuid === undefined ? guest.spec.uuid : change.uuid === 'none' ? undefined : change.uuid;
  return { ...rest, ...(uuid !== undefined && { uuid }), ...(change.emulator !== undefined && { emulator: change.emulator }) };
}

/** Migration status from the driver's events, or from polling when events do not come. */
async function waitForMigrationStatus(ctx: RunContext, guest: GuestRun, wanted: ReadonlyArray<MigrationStatus>, withinMs: number): Promise<MigrationStatus> {
  const { job, migration } = guest;
  if (!job || !migration) throw new Error('wait-migration before migrate');
  const end = ctx.clock() + withinMs;
  for (;;) {
    const seen = guest.events.find(
      (e) => e.side === 'source' && e.t >= migration.requestedAt && e.migrationStatus && wanted.includes(e.migrationStatus),
    );
    if (seen?.migrationStatus) return seen.migrationStatus;
    const polled = await job.info().catch(() => undefined);
    if (polled && wanted.includes(polled.status)) return polled.status;
    if (ctx.clock() >= end) {
      throw new StepDeadline(`migration status still '${polled?.status ?? 'unknown'}' after ${formatMs(withinMs)}, waiting for ${wanted.join('|')}`);
    }
    await guest.eventArrived.next(50);
  }
}
