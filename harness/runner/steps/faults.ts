import type { MigrationStatus } from '../../drivers/types.ts';
import { applyFault } from '../../faults/index.ts';
import type { StepOf } from '../../scenario/schema.ts';
import { guestRun, hostNamed, StepUnavailable, type GuestRun, type RunContext } from '../context.ts';
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
    return placed(ctx, run, step.when, `${step.signal} to the ${step.side} emulator`, () => signalSide(ctx, run, step));
  },

  link: async (ctx, step) => {
    const guest = guestRun(ctx, step.guest);
    return placed(ctx, guest, step.when, `${step.action} the migration link`, () => actOnLink(ctx, guest, step.action));
  },
} satisfies StepHandlers;

/**
 * A fault now, or armed to strike the moment the guest's migration reaches a status (from
 * the event itself, not a poll: setup lasts a few milliseconds).
 */
async function placed(ctx: RunContext, guest: GuestRun, when: MigrationStatus | undefined, what: string, act: () => Promise<string>): Promise<string> {
  if (when === undefined) return act();
  ctx.triggers.push({
    guest: guest.key,
    status: when,
    fire: () => void act().then((detail) => ctx.progress(`${detail} (at ${when})`), (err: Error) => ctx.progress(`${what} at ${when} failed: ${err.message}`)),
  });
  return `armed: ${what} of ${label(guest)} when its migration reaches ${when}`;
}

async function signalSide(ctx: RunContext, run: GuestRun, step: StepOf<'kill'>): Promise<string> {
  const handle = run.sides[step.side];
  if (!handle) throw new Error(`kill: no guest on the ${step.side} side`);
  const t = ctx.clock();
  await handle.signal(step.signal);
  const detail = `${step.signal} to the ${step.side} emulator of ${label(run)} on ${handle.host.name}`;
  ctx.faults.push({ t, fault: `${step.signal.toLowerCase()}-${step.side}`, host: handle.host.name, detail });
  return detail;
}

/** The guest's relays on process hosts; else the destination host's own network link. */
async function actOnLink(ctx: RunContext, guest: GuestRun, action: StepOf<'link'>['action']): Promise<string> {
  const t = ctx.clock();
  const target = guest.migration?.to;
  let detail: string;
  if (guest.relays.length) {
    for (const relay of guest.relays) {
      if (action === 'cut') await relay.cut();
      else if (action === 'blackhole') relay.blackhole();
      else await relay.heal();
    }
    detail = `${action} the migration link of ${label(guest)} (harness relay)`;
  } else {
    const controls = target !== undefined ? hostNamed(ctx, target).controls : undefined;
    if (!controls || action === 'blackhole') {
      throw new StepUnavailable(`no way to ${action} the migration link here (no relay, and ${target ?? 'the destination'} has ${controls ? 'no blackhole' : 'no link controls'})`);
    }
    await (action === 'cut' ? controls.cutLink() : controls.healLink());
    detail = `${action} ${target}'s network link`;
  }
  ctx.faults.push({ t, fault: `${action}-link`, host: target ?? '', detail });
  return detail;
}
