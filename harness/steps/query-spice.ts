import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { Unavailable } from '../util/errors.ts';
import { guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { defineStep } from './step.ts';

/** Asks a side's SPICE server which client channels it serves now. */
export const querySpice = defineStep({
  schema: z.strictObject({ do: z.literal('query-spice'), guest: guestRef, side: z.enum(SIDES) }),
  records: ['spice'],
  gathersEvidence: true,
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'query-spice');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    const handle = guest.sides[step.side];
    if (!handle?.spice) throw new Unavailable(`no SPICE server on the ${step.side} side`);
    const state = await handle.runState().catch(() => 'unknown' as const);
    if (state === 'gone' || state === 'unknown')
      throw new Unavailable(`the ${step.side} emulator ${state === 'gone' ? 'has ended' : 'does not answer'}`);
    const status = await handle.spice();
    ctx.history.append({ type: 'spice', guest: guest.key, side: step.side, status });
    const ids = [...new Set(status.channels.map((c) => c.connectionId))];
    return `${step.side} SPICE: ${status.channels.length} client channel(s)${ids.length ? `, connection ${ids.join(', ')}` : ''}${status.migrated ? ', migrated' : ''}`;
  },
});
