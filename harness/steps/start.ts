import { z } from 'zod';
import { guestRef } from '../util/fields.ts';
import { guestRun, label, requireCapability, startSide } from './context.ts';
import { defineStep } from './step.ts';

/** Starts a guest on its host: the migration's source. */
export const start = defineStep({
  schema: z.strictObject({ do: z.literal('start'), guest: guestRef }),
  records: ['guest', 'progress', 'exit'],
  check(step, scope) {
    scope.markStarted(scope.guest(step.guest));
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    if (guest.spec.sharedMemory)
      requireCapability(ctx, 'shared-memory', 'run a guest whose RAM lives in a shared file');
    if (guest.spec.cpr) requireCapability(ctx, 'cpr-transfer', 'ready a guest for cpr-transfer');
    if (guest.spec.spice) requireCapability(ctx, 'spice', 'give the guest a SPICE display');
    await startSide(ctx, guest, 'source', guest.on, false);
    return `${label(guest)} started on ${guest.on}`;
  },
});
