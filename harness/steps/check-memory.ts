import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { GUEST_LAYOUT, walkedRegions } from '../guest/layout.ts';
import { PageWalkCheck, readCounters } from '../guest/memory-check.ts';
import { readGuestMemory } from '../drivers/memory-dump.ts';
import { Unavailable } from '../util/errors.ts';
import { guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { ANSWER_MS, answerWithin, DUMP_MS, lookBound, lookFailed, recordUnanswered, type LookAt } from './looks.ts';
import { defineStep } from './step.ts';

/**
 * Pauses a side's guest and reads its memory back: the page-neighbour check and its own
 * counters. Each call is bounded: a guest whose implementation does not answer (a stop that
 * never returns) is recorded as unanswered, and the judges see that the check could not be made.
 */
export const checkMemory = defineStep({
  schema: z.strictObject({ do: z.literal('check-memory'), guest: guestRef, side: z.enum(SIDES) }),
  records: ['memory', 'unanswered'],
  gathersEvidence: true,
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'check-memory');
  },
  async play(ctx, step) {
    const run = guestRun(ctx, step.guest);
    const guest = run.sides[step.side];
    // A scenario cut short before the side was started: nothing to read, which the judges see.
    if (!guest) throw new Unavailable(`no guest was ever started on the ${step.side} side`);
    const at: LookAt = { look: 'check-memory', guest: run.key, side: step.side, host: guest.host.name };
    const ask = async <T>(what: string, ms: number, call: () => Promise<T>): Promise<T> => {
      const bound = lookBound(ms);
      return answerWithin(ctx, at, what, bound, call).catch((err) => lookFailed(ctx, at, guest, what, bound, err));
    };
    const t = ctx.clock();
    const state = await ask(`the ${step.side} guest's state`, ANSWER_MS, () => guest.runState());
    if (state === 'gone') throw new Unavailable(`no ${step.side} guest left to read memory from`);
    if (state === 'unknown') {
      const detail = `the ${step.side} guest's state is unknown to the ${ctx.driver.name} driver`;
      recordUnanswered(ctx, at, 'error', lookBound(ANSWER_MS), detail);
      throw new Unavailable(`${detail}: its memory cannot be read`);
    }
    // A running guest changes pages while they are read: pause it for a consistent copy.
    if (state === 'running')
      await ask(`pausing the ${step.side} guest to read its memory`, ANSWER_MS, () => guest.pause());
    const counters = readCounters(
      await ask(`reading the ${step.side} guest's counters`, DUMP_MS, () =>
        readGuestMemory(guest, GUEST_LAYOUT.countersAddress, 8),
      ),
    );
    const walk = new PageWalkCheck();
    for (const { start, end } of walkedRegions()) {
      await ask(`reading the ${step.side} guest's memory at 0x${start.toString(16)}`, DUMP_MS, () =>
        guest.scanMemory(start, end - start, (chunk, address) => walk.feed(address, chunk)),
      );
    }
    const check = walk.result();
    ctx.history.append({ type: 'memory', t, guest: run.key, side: step.side, check, counters });
    return `${step.side} memory: ${check.summary}; guest counters: ${counters.passes} passes, ${counters.boots} boot(s)`;
  },
});
