import { applyFault } from '../../faults/index.ts';
import { guestRun, hostNamed, StepUnavailable } from '../context.ts';
import { label, type StepHandlers } from './shared.ts';

/** What goes wrong: host and process faults, one side's emulator signalled, the migration link cut. */
export const faultSteps = {
  fault: async (ctx, step) => {
    const t = ctx.clock();
    const detail = await applyFault(step, hostNamed(ctx, step.host));
    ctx.faults.push({ t, fault: step.fault, host: step.host, detail });
    return detail;
  },

  kill: async (ctx, step) => {
    const run = guestRun(ctx, step.guest);
    const handle = run.sides[step.side];
    if (!handle) throw new Error(`kill: no guest on the ${step.side} side`);
    const t = ctx.clock();
    await handle.signal(step.signal);
    const detail = `${step.signal} to the ${step.side} emulator of ${label(run)} on ${handle.host.name}`;
    ctx.faults.push({ t, fault: `${step.signal.toLowerCase()}-${step.side}`, host: handle.host.name, detail });
    return detail;
  },

  link: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    const t = ctx.clock();
    const target = guest.migration?.to;
    let detail: string;
    if (guest.relays.length) {
      for (const relay of guest.relays) {
        if (step.action === 'cut') await relay.cut();
        else if (step.action === 'blackhole') relay.blackhole();
        else await relay.heal();
      }
      detail = `${step.action} the migration link of ${label(guest)} (harness relay)`;
    } else {
      const controls = target !== undefined ? hostNamed(ctx, target).controls : undefined;
      if (!controls || step.action === 'blackhole') {
        throw new StepUnavailable(`no way to ${step.action} the migration link here (no relay, and ${target ?? 'the destination'} has ${controls ? 'no blackhole' : 'no link controls'})`);
      }
      await (step.action === 'cut' ? controls.cutLink() : controls.healLink());
      detail = `${step.action} ${target}'s network link`;
    }
    ctx.faults.push({ t, fault: `${step.action}-link`, host: target ?? '', detail });
    return detail;
  },
} satisfies StepHandlers;
