import { z } from 'zod';
import { FINAL_STATUSES, SIDES } from '../drivers/vocabulary.ts';
import { watchBound } from '../observation/window.ts';
import { formatMs, sleep } from '../util/deadline.ts';
import { sampleStates, type GuestRun, type RunContext } from './context.ts';
import { defineStep } from './step.ts';

/**
 * Watches both sides once the migration is over (ended, or a fault struck last), for as long
 * as a management layer could take to give up a lost peer and resume a copy of the guest
 * (the hosts' keepalive bound). It stops early once each guest has at most one copy left
 * that could run: a process known to have ended runs nothing again.
 */
export const settle = defineStep({
  schema: z.strictObject({ do: z.literal('settle') }),
  records: ['settle', 'state'],
  gathersEvidence: true,
  check(_step, scope) {
    scope.requireAnyMigration('settle');
  },
  async play(ctx) {
    const bound = watchBound(Object.fromEntries(ctx.hosts));
    const from = settledFrom(ctx);
    const until = from + bound.ms;
    for (;;) {
      await sampleStates(ctx);
      const left = copiesLeft(ctx);
      if (left.every((l) => l.copies <= 1)) {
        const detail = `one copy left of ${left.map((l) => l.guest).join(', ')} ${formatMs(ctx.clock() - from)} after the end (bound ${formatMs(bound.ms)})`;
        ctx.history.append({
          type: 'settle',
          from,
          boundMs: bound.ms,
          basis: bound.basis,
          endedBy: 'one-copy',
          detail,
        });
        return detail;
      }
      if (ctx.clock() >= until) break;
      await sleep(Math.min(250, Math.max(0, until - ctx.clock())));
    }
    const detail = `watched both sides ${formatMs(ctx.clock() - from)} after the end (${bound.basis})`;
    ctx.history.append({ type: 'settle', from, boundMs: bound.ms, basis: bound.basis, endedBy: 'bound', detail });
    return detail;
  },
});

/** The end the watch counts from: the last migration's final status, or the last fault; now when a migration has not ended. */
function settledFrom(ctx: RunContext): number {
  const now = ctx.clock();
  let from = 0;
  for (const guest of ctx.fleet.values()) {
    if (!guest.migration) continue;
    const ended = ctx.history.of(
      'event',
      (e) =>
        e.guest === guest.key &&
        e.t >= (guest.migration?.requestedAt ?? 0) &&
        (FINAL_STATUSES as ReadonlyArray<string>).includes(e.event.migrationStatus ?? ''),
    );
    from = Math.max(from, ended.at(-1)?.t ?? now);
  }
  for (const fault of ctx.history.of('fault', (f) => f.outcome === 'struck')) from = Math.max(from, fault.t);
  return Math.min(from, now);
}

/** Per migrated guest: how many sides may still run it (all but those known to have ended). */
function copiesLeft(ctx: RunContext): Array<{ guest: string; copies: number }> {
  return [...ctx.fleet.values()]
    .filter((g): g is GuestRun => !!g.migration)
    .map((guest) => {
      const last = (side: string) =>
        ctx.history.of('state', (s) => s.guest === guest.key && s.side === side).at(-1)?.state;
      const copies = SIDES.filter((side) => guest.sides[side] && last(side) !== 'gone').length;
      return { guest: guest.key, copies };
    });
}
