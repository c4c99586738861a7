import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { Unavailable } from '../util/errors.ts';
import { guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { ANSWER_MS, answerWithin, lookBound, lookFailed, type LookAt } from './looks.ts';
import { defineStep } from './step.ts';

/** Asks a side's SPICE server which client channels it serves now (bounded: an emulator that does not answer is recorded so). */
export const querySpice = defineStep({
  schema: z.strictObject({ do: z.literal('query-spice'), guest: guestRef, side: z.enum(SIDES) }),
  records: ['spice', 'unanswered'],
  gathersEvidence: true,
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'query-spice');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    const handle = guest.sides[step.side];
    const query = handle?.spice?.bind(handle);
    if (!handle || !query) throw new Unavailable(`no SPICE server on the ${step.side} side`);
    const at: LookAt = { look: 'query-spice', guest: guest.key, side: step.side, host: handle.host.name };
    const bound = lookBound(ANSWER_MS);
    const ask = <T>(what: string, call: () => Promise<T>): Promise<T> =>
      answerWithin(ctx, at, what, bound, call).catch((err) => lookFailed(ctx, at, handle, what, bound, err));
    const state = await ask(`the ${step.side} guest's state`, () => handle.runState());
    if (state === 'gone' || state === 'unknown')
      throw new Unavailable(`the ${step.side} emulator ${state === 'gone' ? 'has ended' : 'does not answer'}`);
    const status = await ask(`query-spice on the ${step.side} side`, query);
    ctx.history.append({ type: 'spice', guest: guest.key, side: step.side, status });
    const ids = [...new Set(status.channels.map((c) => c.connectionId))];
    return `${step.side} SPICE: ${status.channels.length} client channel(s)${ids.length ? `, connection ${ids.join(', ')}` : ''}${status.migrated ? ', migrated' : ''}`;
  },
});
