import { z } from 'zod';
import { MIGRATION_STATUSES, SIDES } from '../drivers/vocabulary.ts';
import { MAIN_GUEST } from '../observation/derive.ts';
import type { History } from '../observation/history.ts';
import { after } from '../util/clock.ts';
import { formatMs } from '../util/deadline.ts';
import { duration, guestRef } from '../util/fields.ts';

// Where a fault strikes, one field (`at`) for every kind: at once, after a delay, at a
// migration status seen on either side, at an event, or at a protocol phase the driver
// reports. A fault placed at a moment is armed at once and struck from the moment's own
// event (setup lasts milliseconds: a poll would miss it).

export const placementSchema = z
  .union([
    z.literal('now'),
    z.strictObject({ after: duration }),
    z.strictObject({ status: z.enum(MIGRATION_STATUSES), side: z.enum(SIDES).default('source'), guest: guestRef }),
    z.strictObject({ event: z.string().min(1), side: z.enum(SIDES).optional(), guest: guestRef }),
    z.strictObject({ phase: z.string().min(1), side: z.enum(SIDES).optional(), guest: guestRef }),
  ])
  .default('now');

export type Placement = z.output<typeof placementSchema>;

/** The placements, by name: for the fault catalogue. */
export const PLACEMENTS = {
  now: 'at once (the default)',
  after: 'after a delay: `at: { after: 2s }`',
  status: "when a guest's migration reaches a status on a side: `at: { status: setup, side: source }`",
  event: 'when the implementation reports an event: `at: { event: SPICE_MIGRATE_COMPLETED }`',
  phase: 'when the implementation enters a protocol phase (drivers with protocol-phases): `at: { phase: perform3 }`',
} as const;

export function describePlacement(at: Placement): string {
  if (at === 'now') return 'now';
  if ('after' in at) return `after ${formatMs(at.after)}`;
  const where = `${at.side ? ` (${at.side})` : ''}${at.guest && at.guest !== MAIN_GUEST ? ` of guest ${at.guest}` : ''}`;
  if ('status' in at) return `status ${at.status}${where}`;
  if ('event' in at) return `event ${at.event}${where}`;
  return `phase ${at.phase}${where}`;
}

/** The guest whose events a placement watches. */
export const placementGuest = (at: Placement): string | undefined =>
  at !== 'now' && !('after' in at) ? (at.guest ?? MAIN_GUEST) : undefined;

/**
 * Arms a placed fault: `fire` runs once, when its moment comes. The returned function
 * disarms it and tells whether it had fired.
 */
export function arm(history: History, at: Exclude<Placement, 'now'>, fire: () => void): () => boolean {
  let fired = false;
  const once = (): void => {
    if (fired) return;
    fired = true;
    stop();
    fire();
  };
  let stop: () => void;
  if ('after' in at) {
    const timer = after(at.after, once);
    stop = () => clearTimeout(timer);
  } else {
    const guest = at.guest ?? MAIN_GUEST;
    stop = history.subscribe((entry) => {
      if (entry.type !== 'event' || entry.guest !== guest) return;
      const { event } = entry;
      if (at.side !== undefined && event.side !== at.side) return;
      const matches =
        'status' in at
          ? event.migrationStatus === at.status
          : 'event' in at
            ? event.name === at.event
            : event.phase === at.phase;
      if (matches) once();
    });
  }
  return () => {
    stop();
    return fired;
  };
}
