import { QEMU_DOWNTIME_LIMIT_MS } from '../drivers/vocabulary.ts';
import type { Observation } from '../observation/types.ts';
import {
  allowance,
  beforeMemoryCheck,
  lagOnClock,
  deadlineNote,
  ms,
  passesBetween,
  requireMemory,
  requireMigration,
  statesBetween,
  statusSequence,
  statusTime,
  watchAfterEnd,
} from './facts.ts';
import { CannotJudge, fail, pass, skipped, type Judge } from './verdict.ts';

/** Passes the guest must make to count as "making progress" (a pass takes ~2 ms under TCG). */
export const MIN_PROGRESS_PASSES = 3;
/**
 * MIG-05's stated tolerance over downtime-limit: the guest sees the gap between its last
 * pass on the source and its first on the destination, which adds the destination's
 * start-up and one pass to QEMU's own figure.
 */
export const DOWNTIME_TOLERANCE_MS = 250;

const completedAt = (obs: Observation): number | undefined => statusTime(obs, 'completed');

export const MIG_01: Judge = (obs) => {
  requireMigration(obs);
  const seq = statusSequence(obs);
  const expected = ['setup', 'active', 'completed'];
  if (seq.join() === expected.join()) return pass(`MIGRATION events went ${seq.join(' -> ')}`);
  const missing = expected.filter((s) => !seq.includes(s as never));
  return fail(
    `MIGRATION events went ${seq.join(' -> ') || '(none)'}; expected ${expected.join(' -> ')}` +
      (missing.length ? `, missing ${missing.join(', ')}` : '') +
      deadlineNote(obs),
  );
};

export const MIG_02: Judge = (obs) => {
  const done = completedAt(obs);
  if (done === undefined)
    return fail(`the migration never completed, so no destination RAM to trust${deadlineNote(obs)}`);
  const memory = requireMemory(obs, 'destination');
  const measurements = { pages: memory.pages, badPages: memory.badPageCount };
  return memory.intact
    ? pass(`destination RAM intact: ${memory.summary}`, measurements)
    : fail(`destination RAM corrupt: ${memory.summary}`, measurements);
};

export const MIG_03: Judge = (obs) => {
  const done = completedAt(obs);
  if (done === undefined) return fail(`the migration never completed${deadlineNote(obs)}`);
  const until = beforeMemoryCheck(obs, 'destination');
  const after = passesBetween(obs, 'destination', done, until);
  const boots = obs.progress.destination.boots.length;
  const sourcePasses = obs.progress.source.passes.length;
  const seen = { destinationPasses: after, destinationBoots: boots, sourcePasses };
  if (boots > 0) return fail(`the guest booted again on the destination (${boots} boot marker(s))`, seen);
  if (after < MIN_PROGRESS_PASSES)
    return fail(`only ${after} passes on the destination after completion, need ${MIN_PROGRESS_PASSES}`, seen);
  const memory = requireMemory(obs, 'destination');
  const measurements = { ...seen, guestPassCounter: memory.counters.passes };
  if (memory.counters.boots !== 1)
    return fail(`the guest's own boot counter reads ${memory.counters.boots}, not 1`, measurements);
  // The pass counter lives in guest RAM: a guest that started over would count from zero.
  if (memory.counters.passes < sourcePasses) {
    return fail(
      `the guest's pass counter (${memory.counters.passes}) is below the ${sourcePasses} passes seen on the source: it started over`,
      measurements,
    );
  }
  return pass(
    `${after} passes on the destination after completion, no reboot, pass counter ${memory.counters.passes} carried over`,
    measurements,
  );
};

export const MIG_04: Judge = (obs) => {
  const done = completedAt(obs);
  if (done === undefined) return fail(`the migration never completed${deadlineNote(obs)}`);
  // None in flight at the wall clock's pace (the source stops before it completes); on a
  // faster clock the serial socket may lag the QMP one by the machine's lag.
  const late = passesBetween(obs, 'source', done + allowance(obs, 0));
  const states = statesBetween(obs, 'source', done, Infinity);
  const last = states.at(-1);
  const measurements = { sourcePassesAfterCompletion: late };
  if (late > 0) return fail(`the source made ${late} passes after the migration completed`, measurements);
  // Signs with no lag to allow for: they come over the channel that reported the completion.
  const resumed = obs.events.find((e) => e.side === 'source' && e.name === 'RESUME' && e.t > done);
  if (resumed)
    return fail(`the source resumed the guest ${ms(resumed.t - done)} after the migration completed`, measurements);
  if (states.includes('running'))
    return fail("the source ran the guest again after the migration completed (run state 'running')", measurements);
  // QEMU leaves the source in postmigrate; a management layer (libvirt) then ends it.
  if (last !== 'postmigrate' && last !== 'gone') {
    return fail(
      `the source's run state after completion is '${last ?? 'never sampled'}', expected postmigrate (or ended)`,
      measurements,
    );
  }
  const how = last === 'postmigrate' ? 'ended in postmigrate' : 'was ended by the management layer';
  return pass(`the source ${how} and made no progress after completion`, measurements);
};

export const MIG_05: Judge = (obs) => {
  const migration = requireMigration(obs);
  const done = completedAt(obs);
  if (done === undefined) return fail(`the migration never completed${deadlineNote(obs)}`);
  const lastOnSource = obs.progress.source.passes.filter((t) => t <= done).at(-1);
  const firstOnDestination = obs.progress.destination.passes[0];
  if (lastOnSource === undefined || firstOnDestination === undefined) {
    return fail('no progress on one side, so the guest-observed downtime cannot be measured');
  }
  const limit = migration.settings.downtimeLimitMs ?? QEMU_DOWNTIME_LIMIT_MS;
  if (lagOnClock(obs) > limit) {
    return skipped(
      `on a clock ${obs.timeScale} times the wall's, the machine's lag (${lagOnClock(obs)} ms of it) exceeds the ${limit} ms limit: downtime is judged without --time-scale`,
    );
  }
  const guestDowntime = firstOnDestination - lastOnSource;
  const tolerance = allowance(obs, DOWNTIME_TOLERANCE_MS);
  const measurements = {
    guestDowntimeMs: round(guestDowntime),
    downtimeLimitMs: limit,
    toleranceMs: tolerance,
    ...(migration.final?.downtimeMs !== undefined && { reportedDowntimeMs: migration.final.downtimeMs }),
    ...(migration.final?.totalTimeMs !== undefined && { totalTimeMs: migration.final.totalTimeMs }),
  };
  const reported =
    migration.final?.downtimeMs !== undefined ? `, implementation reports ${migration.final.downtimeMs} ms` : '';
  const text = `guest-observed downtime ${ms(guestDowntime)}${reported}; limit ${limit} ms + tolerance ${tolerance} ms`;
  return guestDowntime <= limit + tolerance ? pass(text, measurements) : fail(text, measurements);
};

export const MIG_06: Judge = (obs) => {
  const migration = requireMigration(obs);
  const seq = statusSequence(obs);
  // Its premise (cancel-while-active) lets a missing cancel through only where the migration never got active.
  if (migration.cancelRequestedAt === undefined)
    return fail(
      `the migration never became active (${seq.join(' -> ') || 'no status'}), so it was never cancelled${deadlineNote(obs)}`,
    );
  const cancelledAt = statusTime(obs, 'cancelled');
  const wasActive = seq.includes('active');
  const after =
    cancelledAt === undefined ? 0 : passesBetween(obs, 'source', cancelledAt, beforeMemoryCheck(obs, 'source'));
  const destinationPasses = obs.progress.destination.passes.length;
  const destinationRan = statesBetween(obs, 'destination', 0, Infinity).includes('running');
  const measurements = {
    sourcePassesAfterCancel: after,
    destinationPasses,
    ...(cancelledAt !== undefined && { cancelLatencyMs: round(cancelledAt - migration.cancelRequestedAt) }),
  };
  if (!wasActive) return fail(`the migration was never active before the cancel (${seq.join(' -> ')})`, measurements);
  if (cancelledAt === undefined)
    return fail(
      `no 'cancelled' status after migrate_cancel (statuses: ${seq.join(' -> ')})${deadlineNote(obs)}`,
      measurements,
    );
  if (destinationPasses > 0 || destinationRan)
    return fail(
      `the destination ran the guest (${destinationPasses} passes, running: ${destinationRan})`,
      measurements,
    );
  if (after < MIN_PROGRESS_PASSES) return fail(`the source made only ${after} passes after the cancel`, measurements);
  const memory = requireMemory(obs, 'source');
  if (!memory.intact) return fail(`source RAM corrupt after the cancel: ${memory.summary}`, measurements);
  return pass(
    `cancelled; the source went on (${after} passes) with RAM intact; the destination never ran`,
    measurements,
  );
};

export const MIG_07: Judge = (obs) => {
  const migration = requireMigration(obs);
  const failedAt = statusTime(obs, 'failed');
  const error = obs.migration?.final?.errorDesc;
  if (failedAt === undefined)
    return fail(
      `the migration did not fail (statuses: ${statusSequence(obs).join(' -> ') || 'none'})${deadlineNote(obs)}`,
    );
  const until = beforeMemoryCheck(obs, 'source');
  const after = passesBetween(obs, 'source', failedAt, until);
  const lastState = statesBetween(obs, 'source', failedAt, until).at(-1);
  const failedAfterMs = round(failedAt - migration.requestedAt);
  const measurements = { sourcePassesAfterFailure: after, failedAfterMs };
  if (!error?.trim()) return fail('the migration failed without an error text', measurements);
  if (after < MIN_PROGRESS_PASSES || lastState !== 'running') {
    return fail(`after the failure the source made ${after} passes and is '${lastState ?? 'unsampled'}'`, measurements);
  }
  const memory = obs.memory.source;
  if (memory && !memory.intact) return fail(`source RAM corrupt after the failure: ${memory.summary}`, measurements);
  return pass(
    `failed ${ms(failedAfterMs)} after the request with "${error}"; the source runs on (${after} passes)`,
    measurements,
  );
};

/**
 * MIG-08, judged in every scenario with a migration (faults included): for each guest, no
 * source pass at or after the destination's first, over a watch after the end as long as a
 * management layer could take to give up its peer and resume a copy (the settle step).
 */
export const MIG_08: Judge = (obs) => {
  const guests = [
    { name: 'the guest', progress: obs.progress, memory: obs.memory, migrated: !!obs.migration },
    ...Object.entries(obs.guests).map(([name, g]) => ({
      name: `guest ${name}`,
      progress: g.progress,
      memory: g.memory ?? {},
      migrated: !!g.migration,
    })),
  ].filter((g) => g.migrated);
  if (!guests.length) throw new CannotJudge(`scenario '${obs.scenario.name}' migrates no guest`);
  const watch = watchAfterEnd(obs);
  if (!watch.held) throw new CannotJudge(watch.why);
  const measurements: Record<string, number> = { watchedMs: round(watch.watchedMs), watchBoundMs: watch.boundMs };
  const overlaps: string[] = [];
  const held: string[] = [];
  for (const g of guests) {
    const source = g.progress.source.passes;
    const firstOnDestination = g.progress.destination.passes[0];
    if (firstOnDestination === undefined || !source.length) {
      held.push(
        `${g.name}: only one side ran it (source ${source.length}, destination ${g.progress.destination.passes.length} passes)`,
      );
      continue;
    }
    const overlapping = source.filter((t) => t >= firstOnDestination).length;
    if (overlapping)
      overlaps.push(
        `${g.name}: ${overlapping} source passes at or after the destination's first pass at ${ms(firstOnDestination)}`,
      );
    else
      held.push(
        `${g.name}: the source's last pass (${ms(source.at(-1) as number)}) precedes the destination's first (${ms(firstOnDestination)})`,
      );
    if (g.name === 'the guest' && !overlapping)
      measurements.handoverGapMs = round(firstOnDestination - (source.at(-1) as number));
  }
  if (overlaps.length) return fail(`both sides ran the guest: ${overlaps.join('; ')}`, measurements);
  return pass(`${held.join('; ')}; ${watch.words}`, measurements);
};

const round = (n: number): number => Math.round(n * 10) / 10;
