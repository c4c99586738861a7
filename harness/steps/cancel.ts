import { z } from 'zod';
import { guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { defineStep } from './step.ts';

/** Asks the implementation to cancel a guest's migration. */
export const cancel = defineStep({
  schema: z.strictObject({ do: z.literal('cancel'), guest: guestRef }),
  records: ['action'],
  check(step, scope) {
    scope.requireMigration(scope.guest(step.guest), 'cancel');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    if (!guest.job) throw new Error('cancel before migrate');
    ctx.history.append({ type: 'action', guest: guest.key, action: 'cancel' });
    await guest.job.cancel();
  },
});
