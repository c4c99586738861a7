import type { Side } from '../drivers/types.ts';
import type { Observation } from '../observation/types.ts';
import {
  allowance,
  beforeMemoryCheck,
  deadlineNote,
  faultOf,
  ms,
  passesBetween,
  requireMemory,
  statesBetween,
  statusAt,
  statusSequence,
  statusTime,
} from './facts.ts';
import { MIN_PROGRESS_PASSES } from './mig.ts';
import { CannotJudge, fail, pass, skipped, type Judge } from './verdict.ts';

// Losing the source after cut-over (seed 003). Post-copy puts the guest at the destination
// while its RAM still streams from the source; from then on the source's loss is the guest's.
// What is judged is that nothing pretends otherwise: the guest stops instead of running on
// pages it never received, and a link that comes back lets the migration finish intact.

/** A pass already under way when the fault struck may still be reported this long after. */
export const IN_FLIGHT_MS = 100;

/**
 * When a side paused after t: QEMU's postcopy-paused status, or (from a management layer that
 * reports run states) a 'paused' state it was not already in at t. libvirt shows the source
 * paused during all of post-copy: that is no pause caused by the fault, and does not count.
 */
export function pausedAfter(obs: Observation, side: Side, t: number): number | undefined {
  const event = obs.events.find((e) => e.side === side && e.t >= t && e.migrationStatus === 'postcopy-paused')?.t;
  if (event !== undefined) return event;
  const before = obs.states.filter((s) => s.side === side && s.t < t).at(-1)?.state;
  if (before === 'paused') return undefined;
  return obs.states.find((s) => s.side === side && s.t >= t && s.state === 'paused')?.t;
}

const endedAt = (obs: Observation, side: Side, after: number): number | undefined => {
  const exit = obs.exits[side];
  if (exit && exit.t >= after) return exit.t;
  return obs.states.find((s) => s.side === side && s.t >= after && s.state === 'gone')?.t;
};

export const PCS_01: Judge = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source', 'killed the source');
  const phase = statusAt(obs, 'source', kill.t);
  if (phase !== 'postcopy-active')
    throw new CannotJudge(`the source died in '${phase ?? 'no migration'}', not in postcopy-active`);
  const paused = pausedAfter(obs, 'destination', kill.t);
  const crashed = endedAt(obs, 'destination', kill.t);
  const progress = passesBetween(obs, 'destination', kill.t + allowance(obs, IN_FLIGHT_MS));
  const completed = statusTime(obs, 'completed', 'destination');
  const measurements: Record<string, number> = {
    destinationPassesBeforeKill: passesBetween(obs, 'destination', 0, kill.t),
    destinationPassesAfterKill: progress,
    ...(paused !== undefined && { pausedAfterMs: Math.round(paused - kill.t) }),
  };
  if (completed !== undefined && completed <= kill.t)
    throw new CannotJudge('post-copy had already completed when the source died');
  if (progress > 0) {
    return fail(
      `the destination ran ${progress} passes after its source died with pages still missing: it ran on memory it never received`,
      measurements,
    );
  }
  if (crashed !== undefined)
    return fail(
      `the destination's QEMU ended ${ms(crashed - kill.t)} after the source died, instead of pausing`,
      measurements,
    );
  if (paused === undefined)
    return fail(
      `the destination never reported post-copy paused after the source died (statuses: ${statusSequence(obs, 'destination').join(' -> ')})${deadlineNote(obs)}`,
      measurements,
    );
  return pass(
    `the guest was lost with its source: the destination paused (postcopy-paused) ${ms(paused - kill.t)} after the source died, ` +
      `stays alive, and made no progress on the pages it lacks (${progress} passes since)`,
    measurements,
  );
};

export const PCS_02: Judge = (obs) => {
  const cut = faultOf(obs, ['cut-link', 'blackhole-link'], undefined, 'cut the migration link');
  const phase = statusAt(obs, 'source', cut.t);
  if (phase !== 'postcopy-active')
    throw new CannotJudge(`the link was cut in '${phase ?? 'no migration'}', not in postcopy-active`);
  const recover = obs.actions.find((a) => a.action === 'recover' && a.t > cut.t);
  const sourcePaused = pausedAfter(obs, 'source', cut.t);
  const destinationPaused = pausedAfter(obs, 'destination', cut.t);
  const until = recover?.t ?? Infinity;
  const completed =
    recover && obs.events.find((e) => e.side === 'source' && e.migrationStatus === 'completed' && e.t > recover.t)?.t;
  const measurements: Record<string, number> = {
    ...(sourcePaused !== undefined && { sourcePausedAfterMs: Math.round(sourcePaused - cut.t) }),
    ...(destinationPaused !== undefined && { destinationPausedAfterMs: Math.round(destinationPaused - cut.t) }),
    ...(completed !== undefined && recover && { recoveryToCompletionMs: Math.round(completed - recover.t) }),
  };
  if (
    sourcePaused === undefined ||
    destinationPaused === undefined ||
    sourcePaused > until ||
    destinationPaused > until
  ) {
    const which = [
      sourcePaused === undefined ? 'the source' : '',
      destinationPaused === undefined ? 'the destination' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return fail(
      `after the cut ${which || 'a side'} never paused (statuses: source ${statusSequence(obs).join(' -> ')}; destination ${statusSequence(obs, 'destination').join(' -> ')})` +
        `${obs.migration?.final?.errorDesc ? `; the job ended with "${obs.migration.final.errorDesc}"` : ''}${laterCompletion(obs, cut.t)}${deadlineNote(obs)}`,
      measurements,
    );
  }
  if (!recover) throw new CannotJudge(`scenario '${obs.scenario.name}' never recovered`);
  if (recover.refused !== undefined) return fail(`recovery was refused: ${recover.refused}`, measurements);
  if (completed === undefined)
    return fail(
      `recovery never completed the migration: ${afterRecovery(obs, recover.t)}${deadlineNote(obs)}`,
      measurements,
    );
  const memory = requireMemory(obs, 'destination');
  const after = passesBetween(obs, 'destination', completed, beforeMemoryCheck(obs, 'destination'));
  measurements.destinationPassesAfterCompletion = after;
  if (!memory.intact) return fail(`recovered, but destination RAM is corrupt: ${memory.summary}`, measurements);
  if (after < MIN_PROGRESS_PASSES)
    return fail(`recovered, but the guest made only ${after} passes at the destination afterwards`, measurements);
  return pass(
    `both sides paused (source ${ms(sourcePaused - cut.t)}, destination ${ms(destinationPaused - cut.t)} after the cut); ` +
      `recovery completed the migration in ${ms(completed - recover.t)}; destination RAM intact (${memory.summary}), the guest runs on`,
    measurements,
  );
};

/** What followed a recovery that never completed: each side's statuses since, where each stayed, what went unanswered. */
function afterRecovery(obs: Observation, t: number): string {
  const since = (side: Side): string[] =>
    obs.events
      .filter((e) => e.side === side && e.migrationStatus && e.t > t)
      .map((e) => e.migrationStatus as string)
      .filter((status, i, all) => all[i - 1] !== status);
  const last = (side: Side): string => statusAt(obs, side, Infinity) ?? 'no status';
  const [source, destination] = [since('source'), since('destination')];
  const moves =
    source.length || destination.length
      ? `after it was asked for at ${ms(t)} the source went ${source.join(' -> ') || 'nowhere'}, the destination ${destination.join(' -> ') || 'nowhere'}; `
      : `neither side reported a migration status after it was asked for at ${ms(t)}; `;
  const stayed =
    last('source') === last('destination')
      ? `both stayed ${last('source')}`
      : `the source stayed ${last('source')}, the destination ${last('destination')}`;
  const silent = obs.unanswered?.find((u) => u.t > t && u.cause === 'deadline');
  return `${moves}${stayed}${silent ? `; then the ${silent.side ?? silent.host ?? 'implementation'} did not answer (${silent.detail})` : ''}`;
}

/** A QEMU migration that went on through the dead link and completed once it came back. */
function laterCompletion(obs: Observation, after: number): string {
  const done = obs.events.find((e) => e.t > after && e.name === 'MIGRATION' && e.migrationStatus === 'completed');
  return done ? `; QEMU's own migration kept going and completed at ${ms(done.t)}, once the link was back` : '';
}

/** Signs that a side ran the guest: its passes, a 'running' state, a RESUME event. */
function ranGuest(obs: Observation, side: Side): string | undefined {
  const passes = obs.progress[side].passes.length;
  if (passes > 0) return `${passes} passes`;
  if (obs.events.some((e) => e.side === side && e.name === 'RESUME')) return 'a RESUME event';
  if (statesBetween(obs, side, 0, Infinity).includes('running')) return "a 'running' state";
  return undefined;
}

export const PCS_03: Judge = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source', 'killed the source');
  const seq = statusSequence(obs, 'source');
  if (
    obs.events.some(
      (e) =>
        e.side === 'source' &&
        e.t <= kill.t &&
        (e.migrationStatus === 'postcopy-active' || e.migrationStatus === 'completed'),
    )
  ) {
    throw new CannotJudge(`the source died after cut-over (${seq.join(' -> ')})`);
  }
  const ran = ranGuest(obs, 'destination');
  const failedAt =
    obs.events.find((e) => e.side === 'destination' && e.t >= kill.t && e.migrationStatus === 'failed')?.t ??
    endedAt(obs, 'destination', kill.t);
  const measurements: Record<string, number> =
    failedAt !== undefined ? { destinationFailedAfterMs: Math.round(failedAt - kill.t) } : {};
  if (ran) return fail(`the destination ran the guest (${ran}) although the source died before cut-over`, measurements);
  if (failedAt === undefined) {
    const last = statesBetween(obs, 'destination', kill.t, Infinity).at(-1);
    return fail(
      `the destination never failed after its source died: it is still '${last ?? 'unsampled'}'`,
      measurements,
    );
  }
  // Ended by cutover's own management code (the qemu driver), not by the implementation: not judged.
  const policy = obs.events.find((e) => e.side === 'destination' && e.t >= kill.t && e.name === 'CUTOVER_POLICY');
  if (policy && !obs.driver.capabilities.includes('management-layer')) {
    return skipped(
      `the destination never ran the guest; it was ended ${ms(policy.t - kill.t)} after the source died by cutover's own qemu driver, not by the implementation (QEMU alone keeps listening): judged on a management layer under test`,
      measurements,
    );
  }
  const exit = obs.exits.destination;
  // QEMU giving up on a broken stream exits 1; one told to end (SIGTERM) exits 0 or by the signal.
  const how =
    !exit || exit.t < kill.t
      ? ''
      : exit.code === null && exit.signal === null
        ? ', its domain gone' // a daemon's guest: no exit status to read
        : exit.code === 0 || exit.signal
          ? ', ended by the management layer'
          : `, its QEMU failing with code ${String(exit.code)}`;
  return pass(
    `the destination never ran the guest and failed ${ms(failedAt - kill.t)} after the source died${how}`,
    measurements,
  );
};

export const PCS_04: Judge = (obs) => {
  const kill = faultOf(obs, ['kill'], 'destination', 'killed the destination');
  const phase = statusAt(obs, 'source', kill.t);
  if (phase === 'postcopy-active' || phase === 'completed')
    throw new CannotJudge(`the destination died after cut-over ('${phase}')`);
  const failedAt = obs.events.find(
    (e) =>
      e.side === 'source' && e.t >= kill.t && (e.migrationStatus === 'failed' || e.migrationStatus === 'cancelled'),
  )?.t;
  const until = beforeMemoryCheck(obs, 'source');
  const after = passesBetween(obs, 'source', failedAt ?? kill.t, until);
  const state = statesBetween(obs, 'source', kill.t, until).at(-1);
  const measurements: Record<string, number> = {
    sourcePassesAfter: after,
    ...(failedAt !== undefined && { failedAfterMs: Math.round(failedAt - kill.t) }),
  };
  if (failedAt === undefined)
    return fail(
      `the source never gave the migration up after the destination died (statuses: ${statusSequence(obs).join(' -> ')})${deadlineNote(obs)}`,
      measurements,
    );
  if (after < MIN_PROGRESS_PASSES || state !== 'running')
    return fail(
      `after the destination died the source made ${after} passes and is '${state ?? 'unsampled'}'`,
      measurements,
    );
  const memory = requireMemory(obs, 'source');
  if (!memory.intact) return fail(`source RAM corrupt after the destination died: ${memory.summary}`, measurements);
  const error = obs.migration?.final?.errorDesc;
  return pass(
    `the migration failed ${ms(failedAt - kill.t)} after the destination died${error ? ` ("${error}")` : ''}; the guest runs on at the source (${after} passes), RAM intact`,
    measurements,
  );
};

interface BlockJobEnd {
  readonly t: number;
  readonly len?: number;
  readonly offset?: number;
  readonly speed?: number;
  readonly error?: string;
}

function streamEnd(obs: Observation): BlockJobEnd | undefined {
  const e = obs.events.find(
    (x) =>
      x.side === 'destination' &&
      x.name === 'BLOCK_JOB_COMPLETED' &&
      (x.data as { type?: string } | undefined)?.type === 'stream',
  );
  return e ? { t: e.t, ...(e.data as Omit<BlockJobEnd, 't'>) } : undefined;
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * PCS-05 (seed 003): the destination's disk still reads through to the source after
 * cut-over. Losing the source then must stop the guest on I/O errors (or at least show them
 * to it), never let it read zeros. The window of exposure is cut-over to the stream's end.
 */
export const PCS_05: Judge = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source', 'killed the source');
  const cutover =
    obs.events.find((e) => e.side === 'destination' && e.name === 'RESUME')?.t ??
    statusTime(obs, 'completed', 'destination');
  if (cutover === undefined || cutover > kill.t) throw new CannotJudge('the source died before cut-over');
  const stream = streamEnd(obs);
  if (stream && !stream.error && stream.t <= kill.t)
    throw new CannotJudge('the disk had been streamed in full before the source died');
  const progress = obs.progress.destination;
  const zeros = (progress.zeroReads ?? []).filter((t) => t > cutover).length;
  const bad = (progress.badReads ?? []).filter((t) => t > cutover).length;
  const seenErrors = (progress.diskErrors ?? []).filter((t) => t > kill.t).length;
  const stop = obs.events.find(
    (e) =>
      e.side === 'destination' &&
      e.t > kill.t &&
      e.name === 'BLOCK_IO_ERROR' &&
      (e.data as { action?: string } | undefined)?.action === 'stop',
  );
  const ioErrorState = obs.states.find((s) => s.side === 'destination' && s.t > kill.t && s.state === 'io-error');
  const stoppedAt = stop?.t ?? ioErrorState?.t;
  const measurements: Record<string, number> = {
    sourceLostAfterCutoverMs: Math.round(kill.t - cutover),
    zeroReads: zeros,
    guestSeenErrors: seenErrors,
  };
  let exposure = '';
  if (stream?.len !== undefined && stream.offset !== undefined) {
    measurements.streamedBytes = stream.offset;
    measurements.diskBytes = stream.len;
    if (stream.speed) {
      const windowMs = Math.round(stream.t - cutover + ((stream.len - stream.offset) / stream.speed) * 1000);
      measurements.exposureWindowMs = windowMs;
      exposure = `; window of exposure: the disk depended on the source for ~${ms(windowMs)} after cut-over (${mib(stream.offset)} of ${mib(stream.len)} streamed when it died, at ${mib(stream.speed)}/s)`;
    }
  }
  // The destination's own disk, read after the fact: did wrong data get written into it?
  const disk = obs.disks?.destination;
  const diskNote = disk ? `; the destination's disk: ${disk.summary}` : '';
  if (disk) Object.assign(measurements, { diskWrongSectors: disk.wrongSectors, diskZeroSectors: disk.zeroSectors });
  if (zeros > 0)
    return fail(
      `the guest read ${zeros} sector(s) of zeros after cut-over: data lost silently${diskNote}${exposure}`,
      measurements,
    );
  if (bad > 0)
    return fail(`the guest read ${bad} sector(s) that are not what was written${diskNote}${exposure}`, measurements);
  if (disk && !disk.intact)
    return fail(
      `the guest read nothing wrong, but the destination's disk now holds ${disk.summary}${exposure}`,
      measurements,
    );
  if (stoppedAt !== undefined) {
    const after = passesBetween(obs, 'destination', stoppedAt + allowance(obs, IN_FLIGHT_MS));
    measurements.stoppedAfterMs = Math.round(stoppedAt - kill.t);
    if (after > 0) return fail(`the guest was stopped on an I/O error yet made ${after} more passes`, measurements);
    return pass(
      `the guest stopped on an I/O error ${ms(stoppedAt - kill.t)} after the source died (error policy stop), and never read zeros${diskNote}${exposure}`,
      measurements,
    );
  }
  if (seenErrors > 0)
    return pass(
      `the guest was told: ${seenErrors} failed read(s) after the source died (error policy report), never zeros${diskNote}${exposure}`,
      measurements,
    );
  return fail(
    `after the source died the guest neither stopped on an I/O error nor saw one${stream?.error ? ` (the stream job ended with "${stream.error}")` : ''}${deadlineNote(obs)}`,
    measurements,
  );
};

/**
 * PCS-06: the disk is mirrored before cut-over, so until the switch the source holds the only
 * complete guest. Losing the destination then must leave the guest running at the source,
 * its disk reading back intact, and the destination never running it.
 */
export const PCS_06: Judge = (obs) => {
  const kill = faultOf(obs, ['kill'], 'destination', 'killed the destination');
  if (statusTime(obs, 'completed') !== undefined && (statusTime(obs, 'completed') ?? Infinity) <= kill.t) {
    throw new CannotJudge('the destination died after the switch-over');
  }
  const source = obs.progress.source;
  const after = passesBetween(obs, 'source', kill.t);
  const broken = [
    ['failed reads', (source.diskErrors ?? []).filter((t) => t > kill.t).length],
    ['sectors of zeros', (source.zeroReads ?? []).filter((t) => t > kill.t).length],
    ['wrong sectors', (source.badReads ?? []).filter((t) => t > kill.t).length],
  ] as const;
  const state = statesBetween(obs, 'source', kill.t, Infinity).at(-1);
  const mirror = obs.events.find((e) => e.side === 'source' && e.t >= kill.t && e.name === 'BLOCK_JOB_COMPLETED');
  const mirrorError = (mirror?.data as { error?: string } | undefined)?.error;
  const measurements: Record<string, number> = {
    sourcePassesAfter: after,
    ...Object.fromEntries(broken.map(([what, n]) => [what.replace(/ (\w)/g, (_, c: string) => c.toUpperCase()), n])),
  };
  const ran = ranGuest(obs, 'destination');
  if (ran) return fail(`the destination ran the guest (${ran}) before the switch-over`, measurements);
  if (statusTime(obs, 'completed') !== undefined)
    return fail('the migration completed to a destination that had died', measurements);
  const bad = broken.filter(([, n]) => n > 0);
  if (bad.length)
    return fail(
      `after the destination died the guest at the source read ${bad.map(([what, n]) => `${n} ${what}`).join(', ')}`,
      measurements,
    );
  if (after < 1 || state !== 'running')
    return fail(
      `after the destination died the source made ${after} whole-disk passes and is '${state ?? 'unsampled'}'`,
      measurements,
    );
  return pass(
    `the guest runs on at the source (${after} whole-disk passes read back intact since the destination died)` +
      `${mirrorError ? `; the mirror job ended with "${mirrorError}"` : ''}; the destination never ran it`,
    measurements,
  );
};
