import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { GUEST_LAYOUT } from '../guest/layout.ts';
import { duration, guestRef } from '../util/fields.ts';
import { asWaitExpired, guestRun } from './context.ts';
import { defineStep } from './step.ts';
import { grantedWait } from '../util/clock.ts';

/** Waits until the guest made some passes on a side: it booted, or runs there. */
export const waitProgress = defineStep({
  schema: z.strictObject({
    do: z.literal('wait-progress'),
    guest: guestRef,
    side: z.enum(SIDES),
    passes: z.number().int().positive(),
    within: duration,
  }),
  records: [],
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'wait-progress');
  },
  async play(ctx, step) {
    const serial = guestRun(ctx, step.guest).serial[step.side];
    if (!serial) throw new Error(`no guest on the ${step.side} side yet`);
    const since = serial.mark();
    await asWaitExpired(serial.waitFor(GUEST_LAYOUT.passChar, step.passes, grantedWait(step.within), since));
    return `${step.passes} passes on the ${step.side}`;
  },
});
