import { z } from 'zod';
import { hostNamed, requireCapability } from './context.ts';
import { answerWithin, INVENTORY_MS, lookBound, lookFailed } from './looks.ts';
import { defineStep } from './step.ts';

/**
 * Records which guests each host's management layer holds (or one host's). Each host's list
 * is bounded: one that does not come is recorded as unanswered, and the other hosts are still asked.
 */
export const inventory = defineStep({
  schema: z.strictObject({ do: z.literal('inventory'), host: z.string().optional() }),
  records: ['inventory', 'unanswered'],
  gathersEvidence: true,
  check(step, scope) {
    if (step.host !== undefined) scope.host(step.host);
  },
  async play(ctx, step) {
    requireCapability(ctx, 'inventory', 'list the guests a host holds');
    const list = ctx.driver.inventory?.bind(ctx.driver);
    if (!list) throw new Error('a driver with the inventory capability but no inventory()');
    const hosts = step.host !== undefined ? [hostNamed(ctx, step.host)] : [...ctx.hosts.values()];
    const bound = lookBound(INVENTORY_MS);
    const lines: string[] = [];
    let failure: unknown;
    for (const host of hosts) {
      const at = { look: 'inventory', host: host.name } as const;
      const what = `the inventory of ${host.name}`;
      try {
        const guests = await answerWithin(ctx, at, what, bound, () => list(host)).catch((err) =>
          lookFailed(ctx, at, undefined, what, bound, err),
        );
        ctx.history.append({ type: 'inventory', host: host.name, guests });
        lines.push(`${host.name}: ${guests.map((g) => `${g.name} (${g.state})`).join(', ') || 'no guests'}`);
      } catch (err) {
        failure ??= err;
      }
    }
    // The first host left unanswered is the step's outcome, once every host was asked.
    if (failure) throw failure;
    return lines.join('; ');
  },
});
