import type { MigrationStatus } from '../../drivers/types.ts';
import { probeCall, sampleDaemons } from '../../observation/daemons.ts';
import { formatMs, sleep } from '../../util/deadline.ts';
import { guestRun, hostNamed, StepDeadline, StepUnavailable, type GuestRun } from '../context.ts';
import { label, type StepHandlers } from './shared.ts';

const TERMINAL: ReadonlyArray<MigrationStatus> = ['completed', 'failed', 'cancelled'];

/** The management layer: its daemons' worker pools, deadlocks, call probes, and what each host holds. */
export const managementSteps = {
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

  'probe-calls': async (ctx, step) => {
    const host = hostNamed(ctx, step.host);
    const guest = guestRun(ctx, step.guest).spec.name;
    const probes = await Promise.all(step.calls.map((call) => probeCall(host, call, guest, step.within, ctx.clock)));
    ctx.calls.push(...probes);
    return probes.map((p) => `${p.call}: ${p.outcome} in ${formatMs(p.latencyMs)}`).join('; ');
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
} satisfies StepHandlers;

const totalEvents = (guests: ReadonlyArray<GuestRun>): number => guests.reduce((n, g) => n + g.events.filter((e) => e.migrationStatus).length, 0);

async function unfinished(guests: ReadonlyArray<GuestRun>): Promise<GuestRun[]> {
  const pending: GuestRun[] = [];
  for (const guest of guests) {
    const info = await guest.job?.info().catch(() => undefined);
    if (!info || (info.jobRunning ?? !TERMINAL.includes(info.status))) pending.push(guest);
  }
  return pending;
}
