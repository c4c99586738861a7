import { z } from 'zod';
import { formatMs, sleep, withDeadline } from '../util/deadline.ts';
import { duration } from '../util/fields.ts';
import { requireCapability, type RunContext } from './context.ts';
import { ANSWER_MS, lookBound } from './looks.ts';
import { defineStep } from './step.ts';

/** Samples every host's daemon worker pool in the background until the scenario ends. */
export const watchDaemons = defineStep({
  schema: z.strictObject({ do: z.literal('watch-daemons'), every: duration.default(250) }),
  records: ['pool'],
  async play(ctx, step) {
    requireCapability(ctx, 'daemon-pools', "report its daemons' worker pools");
    let running = true;
    const loop = (async () => {
      while (running) {
        await samplePools(ctx);
        await sleep(step.every);
      }
    })();
    ctx.background.push(async () => {
      running = false;
      await loop;
    });
    return `sampling daemon worker pools every ${formatMs(step.every)}`;
  },
});

/** One sample of every host's pool, into the history; returns what was read. */
export async function samplePools(ctx: RunContext) {
  const daemons = ctx.driver.daemons;
  if (!daemons) return [];
  const samples = await Promise.all(
    [...ctx.hosts.values()].map(async (host) => {
      // A pool the daemon does not report within the bound is no sample (a frozen daemon's).
      const pool = await withDeadline('a pool sample', lookBound(ANSWER_MS), daemons.pool(host)).catch(() => undefined);
      return pool ? ctx.history.append({ type: 'pool', host: host.name, pool }) : undefined;
    }),
  );
  return samples.filter((s) => s !== undefined);
}
