import { z } from 'zod';
import type { MigrationStatus } from '../drivers/types.ts';
import { MIGRATION_STATUSES } from '../drivers/vocabulary.ts';
import { formatMs } from '../util/deadline.ts';
import { WaitExpired } from '../util/errors.ts';
import { duration, guestRef } from '../util/fields.ts';
import { guestRun, label, migrationEvents, type GuestRun, type RunContext } from './context.ts';
import { defineStep } from './step.ts';
import { grantedWait } from '../util/clock.ts';

const status = z.enum(MIGRATION_STATUSES);

/** Waits until a guest's migration reaches one of the statuses, from its events or by asking. */
export const waitMigration = defineStep({
  schema: z.strictObject({
    do: z.literal('wait-migration'),
    guest: guestRef,
    status: z.union([status, z.array(status).nonempty()]).transform((s) => (Array.isArray(s) ? s : [s])),
    within: duration,
  }),
  records: [],
  check(step, scope) {
    scope.requireMigration(scope.guest(step.guest), 'wait-migration');
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    const reached = await waitForMigrationStatus(ctx, guest, step.status, grantedWait(step.within));
    const error = reached === 'failed' ? (await guest.job?.info().catch(() => undefined))?.errorDesc : undefined;
    return `${label(guest)} migration ${reached}${error ? `: ${error}` : ''}`;
  },
});

/** Migration status from the driver's events, or from polling when events do not come. */
async function waitForMigrationStatus(
  ctx: RunContext,
  guest: GuestRun,
  wanted: ReadonlyArray<MigrationStatus>,
  withinMs: number,
): Promise<MigrationStatus> {
  const { job, migration } = guest;
  if (!job || !migration) throw new Error('wait-migration before migrate');
  const end = ctx.clock() + withinMs;
  for (;;) {
    const seen = migrationEvents(ctx, guest, migration.requestedAt).find(
      (e) => e.side === 'source' && e.migrationStatus && wanted.includes(e.migrationStatus),
    );
    if (seen?.migrationStatus) return seen.migrationStatus;
    const polled = await job.info().catch(() => undefined);
    if (polled && wanted.includes(polled.status)) return polled.status;
    if (ctx.clock() >= end) {
      throw new WaitExpired(
        `migration status still '${polled?.status ?? 'unknown'}' after ${formatMs(withinMs)}, waiting for ${wanted.join('|')}`,
      );
    }
    await ctx.history.next(['event'], 50);
  }
}
