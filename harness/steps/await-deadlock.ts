import { z } from 'zod';
import { FINAL_STATUSES } from '../drivers/vocabulary.ts';
import { formatMs, sleep } from '../util/deadline.ts';
import { WaitExpired } from '../util/errors.ts';
import { duration } from '../util/fields.ts';
import { guestRun, label, requireCapability, type GuestRun, type RunContext } from './context.ts';
import { defineStep } from './step.ts';
import { samplePools } from './watch-daemons.ts';

/**
 * Waits until the named guests' migrations have all ended, or declares a deadlock: every
 * daemon with no free worker and a queue, and no migration event, for `settle`.
 */
export const awaitDeadlock = defineStep({
  schema: z.strictObject({
    do: z.literal('await-deadlock'),
    guests: z.array(z.string()).nonempty(),
    settle: duration.default(2000),
    within: duration,
  }),
  records: ['pool', 'deadlock'],
  check(step, scope) {
    for (const [i, g] of step.guests.entries())
      scope.requireMigration(scope.guest(g, `guests[${i}]`), 'await-deadlock');
  },
  async play(ctx, step) {
    requireCapability(ctx, 'daemon-pools', "report its daemons' worker pools");
    const guests = step.guests.map((g) => guestRun(ctx, g));
    const end = ctx.clock() + step.within;
    let onsetAt: number | undefined;
    let lastEventCount = migrationEventCount(ctx, guests);
    for (;;) {
      const pending = await unfinished(guests);
      if (pending.length === 0) return `all ${guests.length} migrations ended`;
      const pools = await samplePools(ctx);
      const starved =
        pools.length === ctx.hosts.size && pools.every((s) => s.pool.freeWorkers === 0 && s.pool.jobQueueDepth > 0);
      const moved = migrationEventCount(ctx, guests) !== lastEventCount;
      lastEventCount = migrationEventCount(ctx, guests);
      if (!starved || moved) onsetAt = undefined;
      else onsetAt ??= pools[0]?.t ?? ctx.clock();
      if (onsetAt !== undefined && ctx.clock() - onsetAt >= step.settle) {
        ctx.history.append({
          type: 'deadlock',
          onsetAt,
          guests: pending.map((g) => g.key),
          pools: pools.map(({ t, host, pool }) => ({ t, host, pool })),
        });
        return `deadlock: ${pending.map(label).join(', ')} stuck; every daemon has no free worker and a queue (${pools.map((p) => `${p.host}: free ${p.pool.freeWorkers}, queue ${p.pool.jobQueueDepth}`).join('; ')})`;
      }
      if (ctx.clock() >= end)
        throw new WaitExpired(
          `${pending.map(label).join(', ')} still migrating after ${formatMs(step.within)}, and no deadlock seen`,
        );
      await sleep(250);
    }
  },
});

const migrationEventCount = (ctx: RunContext, guests: ReadonlyArray<GuestRun>): number => {
  const keys = new Set(guests.map((g) => g.key));
  return ctx.history.of('event', (e) => keys.has(e.guest) && e.event.migrationStatus !== undefined).length;
};

async function unfinished(guests: ReadonlyArray<GuestRun>): Promise<GuestRun[]> {
  const pending: GuestRun[] = [];
  for (const guest of guests) {
    const info = await guest.job?.info().catch(() => undefined);
    if (!info || (info.jobRunning ?? !(FINAL_STATUSES as ReadonlyArray<string>).includes(info.status)))
      pending.push(guest);
  }
  return pending;
}
