import { join } from 'node:path';
import { Unsupported, type MigrationSettings, type MigrationStatus, type Side, type SpiceRelocation } from '../drivers/types.ts';
import { startRelay } from '../faults/relay.ts';
import { applyFault } from '../faults/index.ts';
import { GUEST_LAYOUT } from '../guest/layout.ts';
import { checkPageWalk, readCounters } from '../guest/memory-check.ts';
import { probeCall, sampleDaemons } from '../observation/daemons.ts';
import { SerialRecorder } from '../observation/serial.ts';
import { startBlackhole } from '../faults/blackhole.ts';
import { startSpiceClient } from '../spice/client.ts';
import { startDisplay } from '../spice/display.ts';
import type { Step, StepOf } from '../scenario/schema.ts';
import { DeadlineError, formatMs, sleep } from '../util/deadline.ts';
import { guestRun, hostNamed, MAIN_GUEST, StepDeadline, StepUnavailable, type GuestRun, type RunContext } from './context.ts';

type Handler<K extends Step['do']> = (ctx: RunContext, step: StepOf<K>) => Promise<string | void>;
type Handlers = { [K in Step['do']]: Handler<K> };

const TERMINAL: ReadonlyArray<MigrationStatus> = ['completed', 'failed', 'cancelled'];

/** One handler per step kind; a new kind is a schema entry plus a handler here. */
export const STEP_HANDLERS: Handlers = {
  start: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    await startSide(ctx, guest, 'source', guest.on, false);
    return `${label(guest)} started on ${guest.on}`;
  },

  'wait-progress': async (ctx, step) => {
    const serial = guestRun(ctx, step.guest).serial[step.side];
    if (!serial) throw new Error(`no guest on the ${step.side} side yet`);
    const since = serial.mark();
    await asStepDeadline(serial.waitFor(GUEST_LAYOUT.passChar, step.passes, step.within, since));
    return `${step.passes} passes on the ${step.side}`;
  },

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
    guest.job = await ctx.driver.migrate({ source, target, settings: withSpice });
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

  observe: async (ctx, step) => {
    const end = ctx.clock() + step.for;
    while (ctx.clock() < end) {
      await sampleStates(ctx);
      await sleep(Math.min(100, Math.max(0, end - ctx.clock())));
    }
  },

  'check-memory': async (ctx, step) => {
    const run = guestRun(ctx, step.guest);
    const guest = run.sides[step.side];
    if (!guest) throw new Error(`no guest on the ${step.side} side`);
    const startedAt = ctx.clock();
    const state = await guest.runState();
    if (state === 'gone') throw new StepUnavailable(`no ${step.side} guest left to read memory from`);
    // A running guest changes pages while they are read: pause it for a consistent copy.
    if (state === 'running') await guest.pause();
    const counters = readCounters(await guest.readMemory(GUEST_LAYOUT.countersAddress, 8));
    const dump = await guest.readMemory(GUEST_LAYOUT.walkStart, GUEST_LAYOUT.walkEnd - GUEST_LAYOUT.walkStart);
    const check = checkPageWalk(dump);
    run.memory[step.side] = { ...check, t: startedAt, counters };
    return `${step.side} memory: ${check.summary}; guest counters: ${counters.passes} passes, ${counters.boots} boot(s)`;
  },

  fault: async (ctx, step) => {
    const t = ctx.clock();
    const detail = await applyFault(step, hostNamed(ctx, step.host));
    ctx.faults.push({ t, fault: step.fault, host: step.host, detail });
    return detail;
  },

  'watch-daemons': async (ctx, step) => {
    let running = true;
    const loop = (async () => {
      while (running) {
        ctx.daemons.push(...(await sampleDaemons(ctx.hosts.values(), ctx.clock)));
        await sleep(step.every);
      }
    })();
    ctx.background.push(async () => {
      running = false;
      await loop;
    });
    return `sampling daemon worker pools every ${formatMs(step.every)}`;
  },

  'await-deadlock': async (ctx, step) => {
    const guests = step.guests.map((g) => guestRun(ctx, g));
    const end = ctx.clock() + step.within;
    let onsetAt: number | undefined;
    let lastEventCount = totalEvents(guests);
    for (;;) {
      const pending = await unfinished(guests);
      if (pending.length === 0) return `all ${guests.length} migrations ended`;
      const pools = await sampleDaemons(ctx.hosts.values(), ctx.clock);
      ctx.daemons.push(...pools);
      const starved = pools.length === ctx.hosts.size && pools.every((s) => s.pool.freeWorkers === 0 && s.pool.jobQueueDepth > 0);
      const moved = totalEvents(guests) !== lastEventCount;
      lastEventCount = totalEvents(guests);
      if (!starved || moved) onsetAt = undefined;
      else onsetAt ??= pools[0]?.t ?? ctx.clock();
      if (onsetAt !== undefined && ctx.clock() - onsetAt >= step.settle) {
        ctx.deadlock = { onsetAt, declaredAt: ctx.clock(), guests: pending.map((g) => g.key), pools };
        return `deadlock: ${pending.map(label).join(', ')} stuck; every daemon has no free worker and a queue (${pools.map((p) => `${p.host}: free ${p.pool.freeWorkers}, queue ${p.pool.jobQueueDepth}`).join('; ')})`;
      }
      if (ctx.clock() >= end) throw new StepDeadline(`${pending.map(label).join(', ')} still migrating after ${formatMs(step.within)}, and no deadlock seen`);
      await sleep(250);
    }
  },

  'spice-client': async (ctx, step) => {
    const source = guestRun(ctx, step.guest).sides.source;
    if (!source) throw new Error('spice-client before start');
    const now = ctx.clock();
    if (step.action !== 'connect') {
      const client = ctx.spiceClient;
      if (!client) throw new Error(`spice-client ${step.action} before connect`);
      if (step.action === 'freeze') client.freeze();
      else if (step.action === 'thaw') client.thaw();
      else await client.kill();
      ctx.faults.push({ t: now, fault: `${step.action}-spice-client`, host: 'harness' });
      return `SPICE client: ${step.action}`;
    }
    if (!source.spiceAddress || !source.spice) throw new StepUnavailable(`the ${ctx.driver.name} driver gives the guest no SPICE display`);
    const dir = source.host.workDir;
    ctx.display ??= await startDisplay({ logPath: join(dir, 'xvfb.log'), clock: ctx.clock });
    const display = ctx.display;
    ctx.spiceClient = await startSpiceClient({ ...source.spiceAddress, display: display.display, logPath: join(dir, 'remote-viewer.log'), clock: ctx.clock });
    const client = ctx.spiceClient;
    ctx.background.push(async () => {
      await client.stop().catch(() => undefined);
      await display.stop().catch(() => undefined);
    });
    ctx.evidence.push({ label: 'SPICE client log (remote-viewer)', path: join(dir, 'remote-viewer.log') }, { label: 'X server log (Xvfb)', path: join(dir, 'xvfb.log') });
    // Connected means the server lists the client's channels (the main one first, the others
    // a moment later), not that the process runs: wait until the list stops growing.
    const end = ctx.clock() + step.within;
    let previous = -1;
    for (;;) {
      const status = await source.spice();
      if (status.channels.length > 1 && status.channels.length === previous) {
        ctx.spice.push({ t: ctx.clock(), side: 'source', status });
        return `SPICE client connected: connection ${status.channels[0]?.connectionId}, ${status.channels.length} channels`;
      }
      previous = status.channels.length;
      if (!client.alive) throw new Error('remote-viewer exited before connecting (see remote-viewer.log)');
      if (ctx.clock() >= end) throw new StepDeadline(`the SPICE client did not finish connecting within ${formatMs(step.within)} (${previous} channel(s))`);
      await sleep(250);
    }
  },

  'wait-event': async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    const since = guest.migration?.requestedAt ?? 0;
    const end = ctx.clock() + step.within;
    for (;;) {
      const seen = guest.events.find((e) => e.side === step.side && e.name === step.event && e.t >= since);
      if (seen) return `${step.event} on the ${step.side} at ${formatMs(seen.t)}`;
      if (ctx.clock() >= end) throw new StepDeadline(`no ${step.event} on the ${step.side} within ${formatMs(step.within)}`);
      await sleep(20);
    }
  },

  'wait-exit': async (ctx, step) => {
    const handle = guestRun(ctx, step.guest).sides[step.side];
    if (!handle) throw new Error(`no guest on the ${step.side} side`);
    // Some drivers learn of the end only by asking (libvirt's domain state): ask while waiting.
    const end = ctx.clock() + step.within;
    for (;;) {
      const exit = await Promise.race([handle.exited, sleep(100).then(() => undefined)]);
      if (exit) return `the ${step.side} emulator ended at ${formatMs(exit.t)}`;
      if ((await handle.runState().catch(() => undefined)) === 'gone') {
        const seen = await Promise.race([handle.exited, sleep(50).then(() => undefined)]);
        if (seen) return `the ${step.side} emulator ended at ${formatMs(seen.t)}`;
      }
      if (ctx.clock() >= end) throw new StepDeadline(`the ${step.side} emulator still runs after ${formatMs(step.within)}`);
    }
  },

  'query-spice': async (ctx, step) => {
    const handle = guestRun(ctx, step.guest).sides[step.side];
    if (!handle?.spice) throw new StepUnavailable(`no SPICE server on the ${step.side} side`);
    if ((await handle.runState().catch(() => 'gone')) === 'gone') throw new StepUnavailable(`the ${step.side} emulator has ended`);
    const status = await handle.spice();
    ctx.spice.push({ t: ctx.clock(), side: step.side, status });
    const ids = [...new Set(status.channels.map((c) => c.connectionId))];
    return `${step.side} SPICE: ${status.channels.length} client channel(s)${ids.length ? `, connection ${ids.join(', ')}` : ''}${status.migrated ? ', migrated' : ''}`;
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

  link: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    const t = ctx.clock();
    const target = guest.migration?.to;
    let detail: string;
    if (guest.relays.length) {
      for (const relay of guest.relays) {
        if (step.action === 'cut') await relay.cut();
        else if (step.action === 'blackhole') relay.blackhole();
        else await relay.heal();
      }
      detail = `${step.action} the migration link of ${label(guest)} (harness relay)`;
    } else {
      const controls = target !== undefined ? hostNamed(ctx, target).controls : undefined;
      if (!controls || step.action === 'blackhole') {
        throw new StepUnavailable(`no way to ${step.action} the migration link here (no relay, and ${target ?? 'the destination'} has ${controls ? 'no blackhole' : 'no link controls'})`);
      }
      await (step.action === 'cut' ? controls.cutLink() : controls.healLink());
      detail = `${step.action} ${target}'s network link`;
    }
    ctx.faults.push({ t, fault: `${step.action}-link`, host: target ?? '', detail });
    return detail;
  },

  kill: async (ctx, step) => {
    const run = guestRun(ctx, step.guest);
    const handle = run.sides[step.side];
    if (!handle) throw new Error(`kill: no guest on the ${step.side} side`);
    const t = ctx.clock();
    await handle.signal(step.signal);
    const detail = `${step.signal} to the ${step.side} emulator of ${label(run)} on ${handle.host.name}`;
    ctx.faults.push({ t, fault: `${step.signal.toLowerCase()}-${step.side}`, host: handle.host.name, detail });
    return detail;
  },

  inventory: async (ctx, step) => {
    const inventory = ctx.driver.inventory?.bind(ctx.driver);
    if (!inventory) throw new StepUnavailable(`the ${ctx.driver.name} driver cannot list the guests a host holds`);
    const hosts = step.host !== undefined ? [hostNamed(ctx, step.host)] : [...ctx.hosts.values()];
    const lines: string[] = [];
    for (const host of hosts) {
      const guests = await inventory(host);
      ctx.inventories.push({ t: ctx.clock(), host: host.name, guests });
      lines.push(`${host.name}: ${guests.map((g) => `${g.name} (${g.state})`).join(', ') || 'no guests'}`);
    }
    return lines.join('; ');
  },

  'probe-calls': async (ctx, step) => {
    const host = hostNamed(ctx, step.host);
    const guest = guestRun(ctx, step.guest).spec.name;
    const probes = await Promise.all(step.calls.map((call) => probeCall(host, call, guest, step.within, ctx.clock)));
    ctx.calls.push(...probes);
    return probes.map((p) => `${p.call}: ${p.outcome} in ${formatMs(p.latencyMs)}`).join('; ');
  },
};

/** Where the SPICE client is sent: the destination, nowhere, or a blackhole of the harness's. */
async function spiceRelocation(ctx: RunContext, target: 'destination' | 'blackhole' | 'none'): Promise<SpiceRelocation> {
  if (target !== 'blackhole') return target;
  const hole = await startBlackhole();
  ctx.background.push(() => hole.close());
  return { host: hole.host, port: hole.port };
}

const label = (guest: GuestRun): string => (guest.key === MAIN_GUEST ? 'guest' : `guest ${guest.key}`);
const totalEvents = (guests: ReadonlyArray<GuestRun>): number => guests.reduce((n, g) => n + g.events.filter((e) => e.migrationStatus).length, 0);

async function unfinished(guests: ReadonlyArray<GuestRun>): Promise<GuestRun[]> {
  const pending: GuestRun[] = [];
  for (const guest of guests) {
    const info = await guest.job?.info().catch(() => undefined);
    if (!info || (info.jobRunning ?? !TERMINAL.includes(info.status))) pending.push(guest);
  }
  return pending;
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

async function startSide(ctx: RunContext, guest: GuestRun, side: Side, hostName: string, incoming: boolean, spec = guest.spec, incomingSettings?: MigrationSettings) {
  const host = hostNamed(ctx, hostName);
  const suffix = guest.key === MAIN_GUEST ? side : `${guest.key}-${side}`;
  const serial = await SerialRecorder.listen(join(host.workDir, `serial-${suffix}.sock`), ctx.clock);
  guest.serial[side] = serial;
  const handle = await ctx.driver.startGuest({ host, side, incoming, spec: { ...spec, serialSocket: serial.path }, ...(incomingSettings && { incomingSettings }) });
  guest.sides[side] = handle;
  void handle.exited.then((exit) => (guest.exits[side] ??= exit));
  return handle;
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
    await sleep(50);
  }
}

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

async function asStepDeadline<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DeadlineError) throw new StepDeadline(err.message);
    throw err;
  }
}
