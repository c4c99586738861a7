import { z } from 'zod';
import { hostNamed, requireCapability } from './context.ts';
import { defineStep } from './step.ts';

/** Records which guests each host's management layer holds (or one host's). */
export const inventory = defineStep({
  schema: z.strictObject({ do: z.literal('inventory'), host: z.string().optional() }),
  records: ['inventory'],
  gathersEvidence: true,
  check(step, scope) {
    if (step.host !== undefined) scope.host(step.host);
  },
  async play(ctx, step) {
    requireCapability(ctx, 'inventory', 'list the guests a host holds');
    const list = ctx.driver.inventory?.bind(ctx.driver);
    if (!list) throw new Error('a driver with the inventory capability but no inventory()');
    const hosts = step.host !== undefined ? [hostNamed(ctx, step.host)] : [...ctx.hosts.values()];
    const lines: string[] = [];
    for (const host of hosts) {
      const guests = await list(host);
      ctx.history.append({ type: 'inventory', host: host.name, guests });
      lines.push(`${host.name}: ${guests.map((g) => `${g.name} (${g.state})`).join(', ') || 'no guests'}`);
    }
    return lines.join('; ');
  },
});
