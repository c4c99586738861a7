import { z } from 'zod';
import { Unsupported } from '../drivers/types.ts';
import { guestRef } from '../util/fields.ts';
import { guestRun, label, requireCapability } from './context.ts';
import { defineStep } from './step.ts';

/** Switches a migration started with `postcopy` to post-copy: the guest runs at the destination. */
export const startPostcopy = defineStep({
  schema: z.strictObject({ do: z.literal('start-postcopy'), guest: guestRef }),
  records: ['action'],
  check(step, scope) {
    scope.requireMigration(scope.guest(step.guest), 'start-postcopy');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    requireCapability(ctx, 'postcopy', 'switch to post-copy');
    if (!guest.job) throw new Error('start-postcopy before migrate');
    if (!guest.job.startPostcopy) throw new Unsupported(`the ${ctx.driver.name} driver cannot switch to post-copy`);
    ctx.history.append({ type: 'action', guest: guest.key, action: 'start-postcopy' });
    await guest.job.startPostcopy();
    return `${label(guest)}: switched to post-copy`;
  },
});
