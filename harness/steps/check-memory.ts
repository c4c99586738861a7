import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { GUEST_LAYOUT, walkedRegions } from '../guest/layout.ts';
import { PageWalkCheck, readCounters } from '../guest/memory-check.ts';
import { readGuestMemory } from '../drivers/memory-dump.ts';
import { Unavailable } from '../util/errors.ts';
import { guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { defineStep } from './step.ts';

/** Pauses a side's guest and reads its memory back: the page-neighbour check and its own counters. */
export const checkMemory = defineStep({
  schema: z.strictObject({ do: z.literal('check-memory'), guest: guestRef, side: z.enum(SIDES) }),
  records: ['memory'],
  gathersEvidence: true,
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'check-memory');
  },
  async play(ctx, step) {
    const run = guestRun(ctx, step.guest);
    const guest = run.sides[step.side];
    // A scenario cut short before the side was started: nothing to read, which the judges see.
    if (!guest) throw new Unavailable(`no guest was ever started on the ${step.side} side`);
    const t = ctx.clock();
    const state = await guest.runState().catch(() => 'unknown' as const);
    if (state === 'gone') throw new Unavailable(`no ${step.side} guest left to read memory from`);
    if (state === 'unknown') throw new Unavailable(`the ${step.side} guest does not answer: its memory cannot be read`);
    // A running guest changes pages while they are read: pause it for a consistent copy.
    if (state === 'running') await guest.pause();
    const counters = readCounters(await readGuestMemory(guest, GUEST_LAYOUT.countersAddress, 8));
    const walk = new PageWalkCheck();
    for (const { start, end } of walkedRegions())
      await guest.scanMemory(start, end - start, (chunk, at) => walk.feed(at, chunk));
    const check = walk.result();
    ctx.history.append({ type: 'memory', t, guest: run.key, side: step.side, check, counters });
    return `${step.side} memory: ${check.summary}; guest counters: ${counters.passes} passes, ${counters.boots} boot(s)`;
  },
});
