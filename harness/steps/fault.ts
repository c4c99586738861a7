import { z } from 'zod';
import {
  arm,
  describePlacement,
  FAULTS,
  faultKind,
  placementSchema,
  unsupportedBecause,
  type Placement,
} from '../faults/index.ts';
import { placementGuest } from '../faults/placement.ts';
import type { FaultKind } from '../faults/types.ts';
import { Unsupported, type Side } from '../drivers/types.ts';
import { SIDES } from '../drivers/vocabulary.ts';
import type { RunContext } from './context.ts';
import { defineStep, type ScenarioScope } from './step.ts';

// `do: fault`: one fault of the registry's kinds, with its target and one placement (`at`).

const variants = FAULTS.map((f) =>
  f.fields.extend({ do: z.literal('fault'), kind: z.literal(f.kind), at: placementSchema }),
);
const schema = z.discriminatedUnion(
  'kind',
  variants as unknown as [(typeof variants)[number], ...Array<(typeof variants)[number]>],
);

type FaultStep = z.output<typeof schema> & { readonly at: Placement };

export const fault = defineStep({
  schema,
  records: ['fault'],
  check(step, scope) {
    checkTarget(faultKind(step.kind), step as FaultStep, scope);
  },
  async play(ctx, step) {
    const kind = faultKind(step.kind);
    const why = unsupportedBecause(kind, ctx.capabilities, ctx.hostFeatures);
    if (why) throw new Unsupported(`${why}, which the ${ctx.driver.name} driver on ${ctx.hostKind} hosts lacks`);
    const placed = step as FaultStep;
    const placement = describePlacement(placed.at);
    if (placed.at === 'now') return strike(ctx, kind, placed, placement);
    if ('phase' in placed.at) unlessReported(ctx, placed.at.phase, placed.at.side);
    const disarm = arm(ctx.history, placed.at, () => {
      void strike(ctx, kind, placed, placement).then(
        (detail) => ctx.say(`${detail} (at ${placement})`),
        (err: Error) => ctx.say(`${kind.kind} at ${placement} failed: ${err.message}`),
      );
    });
    ctx.armed.push(() => {
      if (!disarm())
        ctx.history.append({
          type: 'fault',
          kind: kind.kind,
          target: targetOf(kind, placed, ctx),
          placement,
          outcome: 'never',
        });
    });
    return `armed: ${kind.kind} at ${placement}`;
  },
});

/** A fault placed at a phase the implementation never reports would never strike: unsupported, saying why. */
function unlessReported(ctx: RunContext, phase: string, side: Side | undefined): void {
  const phases = ctx.capabilities.has('protocol-phases') ? ctx.driver.phases : undefined;
  if (!phases)
    throw new Unsupported(`the ${ctx.driver.name} driver reports no protocol phases, so no fault can be placed at one`);
  const sides = side ? [side] : SIDES;
  if (sides.some((s) => phases[s].includes(phase))) return;
  const why = phases.absent?.[phase];
  throw new Unsupported(
    `the ${ctx.driver.name} driver reports no phase '${phase}'${side ? ` on the ${side}` : ''}${why ? `: ${why}` : ` (it reports ${sides.map((s) => `${s}: ${phases[s].join(', ')}`).join('; ')})`}`,
  );
}

async function strike(ctx: RunContext, kind: FaultKind, step: FaultStep, placement: string): Promise<string> {
  const t = ctx.clock();
  const target = targetOf(kind, step, ctx);
  try {
    const detail = await kind.strike(step, ctx);
    ctx.history.append({ type: 'fault', t, kind: kind.kind, target, placement, outcome: 'struck', detail });
    return detail;
  } catch (err) {
    ctx.history.append({
      type: 'fault',
      t,
      kind: kind.kind,
      target,
      placement,
      outcome: 'failed',
      detail: (err as Error).message,
    });
    throw err;
  }
}

function targetOf(kind: FaultKind, step: FaultStep, ctx: RunContext) {
  try {
    return kind.targetOf(step, ctx);
  } catch {
    return {};
  }
}

/** What the fault names must exist, and what it strikes at once must be there by then. */
function checkTarget(kind: FaultKind, step: FaultStep, scope: ScenarioScope): void {
  const placedGuest = placementGuest(step.at);
  if (placedGuest !== undefined) scope.guest(placedGuest === 'main' ? undefined : placedGuest, 'at');
  const now = step.at === 'now';
  const fields = step as unknown as { guest?: string; host?: string; side?: 'source' | 'destination' };
  switch (kind.target) {
    case 'side': {
      const key = scope.guest(fields.guest);
      if (now && fields.side) scope.requireSide(key, fields.side, `fault ${kind.kind}`);
      return;
    }
    case 'host':
    case 'daemon':
      scope.host(fields.host ?? '', 'host');
      return;
    case 'link':
      scope.guest(fields.guest);
      return;
    case 'client':
      if (now) scope.requireClient(`fault ${kind.kind}`);
  }
}
