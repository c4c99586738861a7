import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { formatMs, sleep } from '../util/deadline.ts';
import { WaitExpired } from '../util/errors.ts';
import { duration, guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { defineStep } from './step.ts';
import { grantedWait } from '../util/clock.ts';

/** Waits until the guest's emulator on a side has ended (a management layer stopping it). */
export const waitExit = defineStep({
  schema: z.strictObject({ do: z.literal('wait-exit'), guest: guestRef, side: z.enum(SIDES), within: duration }),
  records: [],
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'wait-exit');
  },
  async play(ctx, step) {
    const handle = guestRun(ctx, step.guest).sides[step.side];
    if (!handle) throw new Error(`no guest on the ${step.side} side`);
    // Some drivers learn of the end only by asking (libvirt's domain state): ask while waiting.
    const within = grantedWait(step.within);
    const end = ctx.clock() + within;
    for (;;) {
      const exit = await Promise.race([handle.exited, sleep(100).then(() => undefined)]);
      if (exit) return `the ${step.side} emulator ended at ${formatMs(exit.t)}`;
      if ((await handle.runState().catch(() => undefined)) === 'gone') {
        const seen = await Promise.race([handle.exited, sleep(50).then(() => undefined)]);
        if (seen) return `the ${step.side} emulator ended at ${formatMs(seen.t)}`;
      }
      if (ctx.clock() >= end) throw new WaitExpired(`the ${step.side} emulator still runs after ${formatMs(within)}`);
    }
  },
});
