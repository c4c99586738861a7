import { GUEST_LAYOUT } from '../../guest/layout.ts';
import { checkDataDisk } from '../../guest/disk-check.ts';
import { checkPageWalk, readCounters } from '../../guest/memory-check.ts';
import { readDiskImage } from '../../observation/disk-image.ts';
import { formatMs, sleep } from '../../util/deadline.ts';
import { guestRun, StepDeadline, StepUnavailable } from '../context.ts';
import { asStepDeadline, label, sampleStates, startSide, type StepHandlers } from './shared.ts';

/** Starting the guest, and watching it: its progress, its memory, its events and its end. */
export const guestSteps = {
  start: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    await startSide(ctx, guest, 'source', guest.on, false);
    return `${label(guest)} started on ${guest.on}`;
  },

  'wait-progress': async (ctx, step) => {
    const serial = guestRun(ctx, step.guest).serial[step.side];
    if (!serial) throw new Error(`no guest on the ${step.side} side yet`);
    const since = serial.mark();
    await asStepDeadline(serial.waitFor(GUEST_LAYOUT.passChar, step.passes, step.within, since));
    return `${step.passes} passes on the ${step.side}`;
  },

  observe: async (ctx, step) => {
    const end = ctx.clock() + step.for;
    while (ctx.clock() < end) {
      await sampleStates(ctx);
      await sleep(Math.min(100, Math.max(0, end - ctx.clock())));
    }
  },

  'check-memory': async (ctx, step) => {
    const run = guestRun(ctx, step.guest);
    const guest = run.sides[step.side];
    if (!guest) throw new Error(`no guest on the ${step.side} side`);
    const startedAt = ctx.clock();
    const state = await guest.runState();
    if (state === 'gone') throw new StepUnavailable(`no ${step.side} guest left to read memory from`);
    // A running guest changes pages while they are read: pause it for a consistent copy.
    if (state === 'running') await guest.pause();
    const counters = readCounters(await guest.readMemory(GUEST_LAYOUT.countersAddress, 8));
    const dump = await guest.readMemory(GUEST_LAYOUT.walkStart, GUEST_LAYOUT.walkEnd - GUEST_LAYOUT.walkStart);
    const check = checkPageWalk(dump);
    run.memory[step.side] = { ...check, t: startedAt, counters };
    return `${step.side} memory: ${check.summary}; guest counters: ${counters.passes} passes, ${counters.boots} boot(s)`;
  },

  'check-disk': async (ctx, step) => {
    const run = guestRun(ctx, step.guest);
    const image = run.sides[step.side]?.dataDiskImage?.();
    if (!image) throw new StepUnavailable(`the ${ctx.driver.name} driver does not say where the ${step.side}'s data disk lies`);
    const t = ctx.clock();
    const { raw, extents } = await readDiskImage(image, `${image.path}.check.raw`);
    const check = checkDataDisk(raw, extents);
    run.disks[step.side] = { ...check, t };
    return `${step.side} disk: ${check.summary}`;
  },

  'wait-event': async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    const since = guest.migration?.requestedAt ?? 0;
    const end = ctx.clock() + step.within;
    for (;;) {
      const seen = guest.events.find((e) => e.side === step.side && e.name === step.event && e.t >= since);
      if (seen) return `${step.event} on the ${step.side} at ${formatMs(seen.t)}`;
      if (ctx.clock() >= end) throw new StepDeadline(`no ${step.event} on the ${step.side} within ${formatMs(step.within)}`);
      await guest.eventArrived.next(Math.max(1, end - ctx.clock()));
    }
  },

  'wait-exit': async (ctx, step) => {
    const handle = guestRun(ctx, step.guest).sides[step.side];
    if (!handle) throw new Error(`no guest on the ${step.side} side`);
    // Some drivers learn of the end only by asking (libvirt's domain state): ask while waiting.
    const end = ctx.clock() + step.within;
    for (;;) {
      const exit = await Promise.race([handle.exited, sleep(100).then(() => undefined)]);
      if (exit) return `the ${step.side} emulator ended at ${formatMs(exit.t)}`;
      if ((await handle.runState().catch(() => undefined)) === 'gone') {
        const seen = await Promise.race([handle.exited, sleep(50).then(() => undefined)]);
        if (seen) return `the ${step.side} emulator ended at ${formatMs(seen.t)}`;
      }
      if (ctx.clock() >= end) throw new StepDeadline(`the ${step.side} emulator still runs after ${formatMs(step.within)}`);
    }
  },
} satisfies StepHandlers;
