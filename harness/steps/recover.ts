import { z } from 'zod';
import { Refused, Unsupported } from '../drivers/types.ts';
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
    if (!guest.job.recover)
      throw new Unsupported(`the ${ctx.driver.name} driver cannot recover a paused post-copy migration`);
    const t = ctx.clock();
    try {
      await guest.job.recover({
        ...(step.postcopyBandwidth !== undefined && { postcopyBandwidth: step.postcopyBandwidth }),
      });
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      ctx.history.append({ type: 'action', t, guest: guest.key, action: 'recover', refused: err.message });
      return `${label(guest)}: post-copy recovery refused: ${err.message}`;
    }
    ctx.history.append({ type: 'action', t, guest: guest.key, action: 'recover' });
    return `${label(guest)}: post-copy recovery started`;
  },
});
