import { join } from 'node:path';
import type { MigrationStatus, Side } from '../drivers/types.ts';
import { GUEST_LAYOUT } from '../guest/layout.ts';
import { checkPageWalk, readCounters } from '../guest/memory-check.ts';
import { SerialRecorder } from '../observation/serial.ts';
import type { Step, StepOf } from '../scenario/schema.ts';
import { DeadlineError, formatMs, sleep } from '../util/deadline.ts';
import { StepDeadline, StepUnavailable, type RunContext } from './context.ts';

type Handler<K extends Step['do']> = (ctx: RunContext, step: StepOf<K>) => Promise<string | void>;
type Handlers = { [K in Step['do']]: Handler<K> };

/** One handler per step kind; a new kind is a schema entry plus a handler here. */
export const STEP_HANDLERS: Handlers = {
  start: async (ctx) => {
    const host = hostNamed(ctx, ctx.scenario.guest.on);
    await startGuest(ctx, 'source', host.name, false);
    return `guest started on ${host.name}`;
  },

  'wait-progress': async (ctx, step) => {
    const serial = ctx.serial[step.side];
    if (!serial) throw new Error(`no guest on the ${step.side} side yet`);
    const since = serial.mark();
    await asStepDeadline(serial.waitFor(GUEST_LAYOUT.passChar, step.passes, step.within, since));
    return `${step.passes} passes on the ${step.side}`;
  },

  migrate: async (ctx, step) => {
    const source = ctx.guests.source;
    if (!source) throw new Error('migrate before start');
    const targetHost = hostNamed(ctx, step.to);
    const settings = {
      transport: step.transport,
      ...(step.maxBandwidth !== undefined && { maxBandwidth: step.maxBandwidth }),
      ...(step.downtimeLimit !== undefined && { downtimeLimitMs: step.downtimeLimit }),
    };
    const target = step.unreachable
      ? { unreachable: targetHost }
      : { guest: await startGuest(ctx, 'destination', targetHost.name, true) };
    const requestedAt = ctx.clock();
    ctx.migration = { requestedAt, settings, unreachable: step.unreachable };
    ctx.job = await ctx.driver.migrate({ source, target, settings });
    return `migrating ${source.host.name} -> ${targetHost.name}${step.unreachable ? ' (unreachable)' : ''}`;
  },

  'wait-migration': async (ctx, step) => {
    const status = await waitForMigrationStatus(ctx, step.status, step.within);
    const error = status === 'failed' ? (await ctx.job?.info().catch(() => undefined))?.errorDesc : undefined;
    return `migration ${status}${error ? `: ${error}` : ''}`;
  },

  cancel: async (ctx) => {
    if (!ctx.job || !ctx.migration) throw new Error('cancel before migrate');
    ctx.migration = { ...ctx.migration, cancelRequestedAt: ctx.clock() };
    await ctx.job.cancel();
  },

  observe: async (ctx, step) => {
    const end = ctx.clock() + step.for;
    while (ctx.clock() < end) {
      await sampleStates(ctx);
      await sleep(Math.min(100, Math.max(0, end - ctx.clock())));
    }
  },

  'check-memory': async (ctx, step) => {
    const guest = ctx.guests[step.side];
    if (!guest) throw new Error(`no guest on the ${step.side} side`);
    const startedAt = ctx.clock();
    const state = await guest.runState();
    if (state === 'gone') throw new StepUnavailable(`no ${step.side} guest left to read memory from`);
    // A running guest changes pages while they are read: pause it for a consistent copy.
    if (state === 'running') await guest.pause();
    const counters = readCounters(await guest.readMemory(GUEST_LAYOUT.countersAddress, 8));
    const dump = await guest.readMemory(GUEST_LAYOUT.walkStart, GUEST_LAYOUT.walkEnd - GUEST_LAYOUT.walkStart);
    const check = checkPageWalk(dump);
    ctx.memory[step.side] = { ...check, t: startedAt, counters };
    return `${step.side} memory: ${check.summary}; guest counters: ${counters.passes} passes, ${counters.boots} boot(s)`;
  },
};

async function startGuest(ctx: RunContext, side: Side, hostName: string, incoming: boolean) {
  const host = hostNamed(ctx, hostName);
  const serial = await SerialRecorder.listen(join(host.workDir, `serial-${side}.sock`), ctx.clock);
  ctx.serial[side] = serial;
  const guest = await ctx.driver.startGuest({ host, side, incoming, spec: { ...ctx.guestSpec, serialSocket: serial.path } });
  ctx.guests[side] = guest;
  return guest;
}

function hostNamed(ctx: RunContext, name: string) {
  const host = ctx.hosts.get(name);
  if (!host) throw new Error(`no host '${name}'`);
  return host;
}

/** Migration status from the driver's events, or from polling when events do not come. */
async function waitForMigrationStatus(ctx: RunContext, wanted: ReadonlyArray<MigrationStatus>, withinMs: number): Promise<MigrationStatus> {
  const job = ctx.job;
  const migration = ctx.migration;
  if (!job || !migration) throw new Error('wait-migration before migrate');
  const end = ctx.clock() + withinMs;
  for (;;) {
    const seen = ctx.events.find(
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
  for (const side of ['source', 'destination'] as const) {
    const guest = ctx.guests[side];
    if (!guest) continue;
    const state = await guest.runState().catch(() => 'gone' as const);
    ctx.states.push({ t: ctx.clock(), side, state });
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
