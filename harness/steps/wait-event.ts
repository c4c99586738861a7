import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { formatMs } from '../util/deadline.ts';
import { WaitExpired } from '../util/errors.ts';
import { duration, guestRef } from '../util/fields.ts';
import { guestRun, migrationEvents } from './context.ts';
import { defineStep } from './step.ts';
import { grantedWait } from '../util/clock.ts';

/** Waits for an event of the implementation's on a side (e.g. SPICE_MIGRATE_COMPLETED), since the migration began. */
export const waitEvent = defineStep({
  schema: z.strictObject({
    do: z.literal('wait-event'),
    guest: guestRef,
    side: z.enum(SIDES),
    event: z.string().min(1),
    within: duration,
  }),
  records: [],
  check(step, scope) {
    scope.requireStarted(scope.guest(step.guest), 'wait-event');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    const since = guest.migration?.requestedAt ?? 0;
    const within = grantedWait(step.within);
    const end = ctx.clock() + within;
    for (;;) {
      const seen = migrationEvents(ctx, guest, since).find((e) => e.side === step.side && e.name === step.event);
      if (seen) return `${step.event} on the ${step.side} at ${formatMs(seen.t)}`;
      if (ctx.clock() >= end) throw new WaitExpired(`no ${step.event} on the ${step.side} within ${formatMs(within)}`);
      await ctx.history.next(['event'], Math.max(1, end - ctx.clock()));
    }
  },
});
