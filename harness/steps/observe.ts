import { z } from 'zod';
import { sleep } from '../util/deadline.ts';
import { duration } from '../util/fields.ts';
import { sampleStates } from './context.ts';
import { defineStep } from './step.ts';

/** Watches for a while: run states are sampled every 100 ms, progress and events recorded as they come. */
export const observe = defineStep({
  schema: z.strictObject({ do: z.literal('observe'), for: duration }),
  records: ['state'],
  gathersEvidence: true,
  async play(ctx, step) {
    const end = ctx.clock() + step.for;
    while (ctx.clock() < end) {
      await sampleStates(ctx);
      await sleep(Math.min(100, Math.max(0, end - ctx.clock())));
    }
  },
});
