import { z } from 'zod';
import { Unsupported } from '../drivers/types.ts';
import { guestRef, size } from '../util/fields.ts';
import { guestRun, label, requireCapability } from './context.ts';
import { defineStep } from './step.ts';

/** Takes a paused post-copy migration up again (migrate-recover and resume; --postcopy-resume). */
export const recover = defineStep({
  schema: z.strictObject({ do: z.literal('recover'), guest: guestRef, postcopyBandwidth: size.optional() }),
  records: ['action'],
  check(step, scope) {
    scope.requireMigration(scope.guest(step.guest), 'recover');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    requireCapability(ctx, 'postcopy-recover', 'recover a paused post-copy migration');
    if (!guest.job) throw new Error('recover before migrate');
    if (!guest.job.recover) throw new Unsupported(`the ${ctx.driver.name} driver cannot recover a paused post-copy migration`);
    ctx.history.append({ type: 'action', guest: guest.key, action: 'recover' });
    await guest.job.recover({ ...(step.postcopyBandwidth !== undefined && { postcopyBandwidth: step.postcopyBandwidth }) });
    return `${label(guest)}: post-copy recovery started`;
  },
});
