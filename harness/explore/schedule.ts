import fc from 'fast-check';
import type { Capability, ProtocolPhases } from '../drivers/types.ts';
import { DAEMON_STOP_SIGNALS } from '../drivers/types.ts';
import { faultKind, unsupportedBecause } from '../faults/index.ts';
import type { HostFeature } from '../hosts/types.ts';

// Jepsen's generator: fault schedules as values. A schedule is one to three faults over a
// base migration, each a kind, a target (named by its role: the source or the destination)
// and a placement (a protocol phase, a migration status, or a delay from the request).
// Only faults the implementation and its hosts can strike are generated.

export type Role = 'source' | 'destination';

export type PlannedFault =
  | { readonly kind: 'kill'; readonly side: 'destination' }
  | { readonly kind: 'cut-link' }
  | { readonly kind: 'refuse-prepare' }
  | { readonly kind: 'restart-daemon'; readonly host: Role; readonly signal: (typeof DAEMON_STOP_SIGNALS)[number] };

export type PlannedPlacement =
  | { readonly phase: string; readonly side: Role }
  | { readonly status: 'setup' | 'active' | 'completed'; readonly side: 'source' }
  | { readonly after: number };

export type ScheduledFault = PlannedFault & { readonly at: PlannedPlacement };
export type Schedule = ReadonlyArray<ScheduledFault>;

/** The longest delay a fault is placed at: healing steps come after it (see compose.ts). */
export const MAX_DELAY_MS = 1000;

/** Phases of a failed post-copy or its resume: not met by the pre-copy base. */
const SKIPPED_PHASES = /resume|postcopy/;

/** What the implementation and its hosts can do: the generator's bounds. */
export interface ExploreTarget {
  readonly capabilities: ReadonlySet<Capability>;
  readonly hostFeatures: ReadonlySet<HostFeature>;
  readonly phases?: ProtocolPhases;
}

/** Each fault kind a schedule may hold, with its targets. Killing the source is left out: the guest dies with it (PCS judges that). */
const FAULT_CHOICES: Readonly<Record<PlannedFault['kind'], fc.Arbitrary<PlannedFault>>> = {
  kill: fc.constant({ kind: 'kill', side: 'destination' } as const),
  'cut-link': fc.constant({ kind: 'cut-link' } as const),
  'refuse-prepare': fc.constant({ kind: 'refuse-prepare' } as const),
  'restart-daemon': fc.record({
    kind: fc.constant('restart-daemon' as const),
    host: fc.constantFrom<Role>('source', 'destination'),
    signal: fc.constantFrom(...DAEMON_STOP_SIGNALS),
  }),
};

/** The fault kinds this target can strike (cut-link: through the relay or the host's own link). */
export function usableKinds(target: ExploreTarget): Array<PlannedFault['kind']> {
  return (Object.keys(FAULT_CHOICES) as Array<PlannedFault['kind']>).filter(
    (kind) => unsupportedBecause(faultKind(kind), target.capabilities, target.hostFeatures) === undefined,
  );
}

export function placementArbitrary(target: ExploreTarget): fc.Arbitrary<PlannedPlacement> {
  const phases =
    target.capabilities.has('protocol-phases') && target.phases
      ? (['source', 'destination'] as const).flatMap((side) =>
          (target.phases?.[side] ?? []).filter((p) => !SKIPPED_PHASES.test(p)).map((phase) => ({ phase, side })),
        )
      : [];
  return fc.oneof(
    ...(phases.length ? [fc.constantFrom(...phases)] : []),
    fc.record({
      status: fc.constantFrom('setup' as const, 'active' as const, 'completed' as const),
      side: fc.constant('source' as const),
    }),
    fc.record({ after: fc.integer({ min: 0, max: MAX_DELAY_MS / 50 }).map((n) => n * 50) }),
  );
}

/** One to three faults this target can strike, each placed; shrinks towards fewer and earlier. */
export function scheduleArbitrary(target: ExploreTarget): fc.Arbitrary<Schedule> {
  const usable = usableKinds(target).map((kind) => FAULT_CHOICES[kind]);
  if (!usable.length) throw new Error('no fault kind this implementation and its hosts can strike');
  const fault = fc
    .tuple(fc.oneof(...usable), placementArbitrary(target))
    .map(([f, at]) => ({ ...f, at }) as ScheduledFault);
  return fc.array(fault, { minLength: 1, maxLength: 3 });
}

export function describePlacement(at: PlannedPlacement): string {
  if ('after' in at) return `${at.after} ms after the request`;
  if ('phase' in at) return `phase ${at.phase} (${at.side})`;
  return `status ${at.status}`;
}

export function describeFault(fault: ScheduledFault): string {
  const what =
    fault.kind === 'kill'
      ? 'kill the destination QEMU'
      : fault.kind === 'cut-link'
        ? 'cut the link'
        : fault.kind === 'refuse-prepare'
          ? 'the destination refuses Prepare'
          : `restart the ${fault.host} daemon (${fault.signal})`;
  return `${what} at ${describePlacement(fault.at)}`;
}

export const describeSchedule = (schedule: Schedule): string => schedule.map(describeFault).join('; ');

/** The first `runs` schedules of a seed, the same for the same target every time: a fixed exploration. */
export const fixedSchedules = (target: ExploreTarget, seed: number, runs: number): Schedule[] =>
  fc.sample(scheduleArbitrary(target), { seed, numRuns: runs });
