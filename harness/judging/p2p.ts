import type { DriverEvent, MigrationInfo } from '../drivers/types.ts';
import { FINAL_STATUSES } from '../drivers/vocabulary.ts';
import { keepaliveBoundMs } from '../observation/window.ts';
import type { CallProbe, DaemonSample, MigrationObservation, Observation } from '../observation/types.ts';
import { allowance, beforeMemoryCheck, deadlineNote, ms, passesBetween, statesBetween } from './facts.ts';
import { MIN_PROGRESS_PASSES } from './mig.ts';
import { CannotJudge, fail, pass, type Judge } from './verdict.ts';

/** A high-priority call "answers" when it returns (a result or libvirt's error) within this. */
export const HIGH_PRIORITY_BOUND_MS = 2000;
/** "Refused at once": the job fails within this of the request. */
export const REFUSAL_BOUND_MS = 2000;
/** P2P-04's stated tolerance over the keepalive bound (scheduling, the probe's own period). */
export const KEEPALIVE_TOLERANCE_MS = 2000;

interface Migration {
  readonly guest: string;
  readonly migration?: MigrationObservation;
  readonly events: ReadonlyArray<DriverEvent>;
}

function migrations(obs: Observation): Migration[] {
  return [
    { guest: 'main', events: obs.events, ...(obs.migration && { migration: obs.migration }) },
    ...Object.entries(obs.guests).map(([guest, g]) => ({
      guest,
      events: g.events,
      ...(g.migration && { migration: g.migration }),
    })),
  ].filter((m) => m.migration);
}

/** Where the management layer's job ended: completed, or failed/cancelled with its words. */
const ended = (final: MigrationInfo | undefined): boolean =>
  !!final && !final.jobRunning && (FINAL_STATUSES as ReadonlyArray<string>).includes(final.status);

const poolText = (samples: ReadonlyArray<DaemonSample>): string =>
  samples
    .map((s) => `${s.host}: ${s.pool.freeWorkers} of ${s.pool.nWorkers} workers free, ${s.pool.jobQueueDepth} queued`)
    .join('; ');

const probeText = (probes: ReadonlyArray<CallProbe>): string =>
  probes
    .map(
      (p) =>
        `${p.host} ${p.call.replace(/^virsh /, '')}: ${p.outcome === 'no-answer' ? `no answer in ${ms(p.latencyMs)}` : `${p.outcome} in ${ms(p.latencyMs)}`}${p.outcome === 'error' && p.detail ? ` ("${p.detail}")` : ''}`,
    )
    .join('; ');

export const P2P_01: Judge = (obs) => {
  const all = migrations(obs);
  if (all.length < 2) throw new CannotJudge(`scenario '${obs.scenario.name}' has fewer than two migrations`);
  const deadlock = obs.deadlock;
  if (deadlock) {
    const lowUnanswered = obs.calls.filter((c) => c.priority === 'low' && c.outcome === 'no-answer');
    const measurements: Record<string, number> = {
      detectionMs: Math.round(deadlock.declaredAt - deadlock.onsetAt),
      stuckMigrations: deadlock.guests.length,
    };
    for (const s of deadlock.pools) {
      measurements[`${s.host}.freeWorkers`] = s.pool.freeWorkers;
      measurements[`${s.host}.jobQueueDepth`] = s.pool.jobQueueDepth;
    }
    return fail(
      `the crossed migrations deadlocked: ${deadlock.guests.join(', ')} stopped moving with every daemon out of workers (${poolText(deadlock.pools)}), ` +
        `decided ${ms(deadlock.declaredAt - deadlock.onsetAt)} after onset` +
        (lowUnanswered.length ? `; low-priority calls went unanswered (${probeText(lowUnanswered)})` : ''),
      measurements,
    );
  }
  const open = all.filter((m) => !ended(m.migration?.final));
  if (open.length)
    return fail(
      `${open.map((m) => m.guest).join(', ')} neither finished nor failed before the deadline${deadlineNote(obs)}`,
    );
  const silentFailures = all.filter(
    (m) => m.migration?.final?.status !== 'completed' && !m.migration?.final?.errorDesc?.trim(),
  );
  if (silentFailures.length) return fail(`${silentFailures.map((m) => m.guest).join(', ')} failed without an error`);
  return pass(`no deadlock: ${all.map((m) => `${m.guest} ${m.migration?.final?.status}`).join(', ')}`);
};

export const P2P_02: Judge = (obs) => {
  const all = migrations(obs);
  if (all.length < 2) throw new CannotJudge(`scenario '${obs.scenario.name}' has fewer than two migrations`);
  const source = obs.hosts[Object.keys(obs.hosts)[0] ?? '']?.settings.workers;
  const maxQueue = Math.max(0, ...obs.daemons.map((s) => s.pool.jobQueueDepth));
  const measurements = {
    migrations: all.length,
    maxJobQueueDepth: maxQueue,
    ...(source && { maxWorkers: source.max }),
  };
  const notCompleted = all.filter((m) => m.migration?.final?.status !== 'completed' || m.migration.final.jobRunning);
  if (notCompleted.length) {
    const what = notCompleted.map(
      (m) =>
        `${m.guest} ${m.migration?.final?.status ?? 'unknown'}${m.migration?.final?.errorDesc ? ` (${m.migration.final.errorDesc})` : ''}`,
    );
    return fail(
      `not every migration finished: ${what.join(', ')}${obs.deadlock ? ' (deadlocked)' : ''}${deadlineNote(obs)}`,
      measurements,
    );
  }
  if (maxQueue === 0)
    throw new CannotJudge('no call ever waited in a daemon queue: the scenario did not exhaust the workers');
  return pass(
    `all ${all.length} migrations completed; calls queued behind busy workers (queue depth up to ${maxQueue})`,
    measurements,
  );
};

/** A pool sample this close to a call (either side of it) shows the pool as the call met it. */
export const EXHAUSTION_WINDOW_MS = 250;

const lastTime = (events: ReadonlyArray<{ readonly t: number }>): number | undefined =>
  events.length ? Math.max(...events.map((e) => e.t)) : undefined;

/**
 * Whether every daemon of the scenario was out of workers when the call was made: every pool
 * sample of each within the window either side of the call (or while it waited), up to a
 * fault struck after it, says so. One sample with a free worker is enough to doubt it: the
 * migrations that held the workers may have ended just before the call (then the guest is
 * gone from its source, and the call fails).
 */
export function exhaustedAt(obs: Observation, call: CallProbe): { held: boolean; why: string } {
  // The scenario's migrations hold the workers: once one of their jobs ended (the last final
  // status its source reported: QEMU's 'completed' may come long before the job's own end,
  // which a deadlock holds back), the workers are coming free.
  const endedBefore = migrations(obs)
    .map((m) => ({
      guest: m.guest,
      t: lastTime(
        m.events.filter(
          (e) => e.side === 'source' && (FINAL_STATUSES as ReadonlyArray<string>).includes(e.migrationStatus ?? ''),
        ),
      ),
    }))
    .filter((m): m is { guest: string; t: number } => m.t !== undefined && m.t <= call.t);
  if (endedBefore.length) {
    const after = ms(call.t - Math.min(...endedBefore.map((m) => m.t)));
    return {
      held: false,
      why: `was made ${after} after the migration job${endedBefore.length > 1 ? 's' : ''} of ${endedBefore.map((m) => m.guest).join(' and ')} ended`,
    };
  }
  const hosts = Object.keys(obs.hosts);
  // A fault struck once the call had ended (the scenario's daemon restart) frees the workers:
  // the pools sampled after it show the fault, not what the call met.
  const callEnd = call.t + call.latencyMs;
  const nextFault = Math.min(...obs.faults.filter((f) => f.t >= callEnd).map((f) => f.t));
  const near = (s: DaemonSample): boolean =>
    s.t >= call.t - EXHAUSTION_WINDOW_MS && s.t <= callEnd + EXHAUSTION_WINDOW_MS && s.t < nextFault;
  const samples = [...obs.daemons, ...(obs.deadlock?.pools ?? [])].filter(near);
  const dry = hosts.filter((h) => {
    const mine = samples.filter((s) => s.host === h);
    return mine.length > 0 && mine.every((s) => s.pool.freeWorkers === 0);
  });
  const seen = hosts
    .map((h) => {
      const mine = samples.filter((x) => x.host === h);
      const s = mine.find((x) => x.pool.freeWorkers > 0) ?? mine.at(-1);
      return s ? `${h}: ${s.pool.freeWorkers} of ${s.pool.nWorkers} free` : `${h}: no sample`;
    })
    .join(', ');
  return { held: dry.length === hosts.length, why: `was made with ${seen} (within ${EXHAUSTION_WINDOW_MS} ms)` };
}

export const P2P_03: Judge = (obs) => {
  const high = obs.calls.filter((c) => c.priority === 'high');
  if (!high.length) throw new CannotJudge(`scenario '${obs.scenario.name}' probed no high-priority call`);
  // The requirement is about calls made while every daemon is out of workers: that must have held.
  const notDry = high.map((c) => ({ c, at: exhaustedAt(obs, c) })).filter((x) => !x.at.held);
  if (notDry.length) {
    throw new CannotJudge(
      `the scenario did not create the condition: ${notDry.map((x) => `${x.c.host} ${x.c.call.replace(/^virsh /, '')} ${x.at.why}`).join('; ')}`,
    );
  }
  // An error is not an answer: the call must return its result.
  const bound = allowance(obs, HIGH_PRIORITY_BOUND_MS);
  const slow = high.filter((c) => c.outcome !== 'answered' || c.latencyMs > bound);
  const low = obs.calls.filter((c) => c.priority === 'low');
  const measurements: Record<string, number> = {
    slowestHighPriorityMs: Math.max(...high.map((c) => c.latencyMs)),
    unansweredLowPriority: low.filter((c) => c.outcome === 'no-answer').length,
  };
  const contrast = low.length ? `; low-priority calls for contrast: ${probeText(low)}` : '';
  if (slow.length)
    return fail(
      `high-priority calls did not answer within ${bound} ms while every daemon was out of workers: ${probeText(slow)}${contrast}`,
      measurements,
    );
  return pass(
    `every high-priority call answered while every daemon was out of workers: ${probeText(high)}${contrast}`,
    measurements,
  );
};

export const P2P_04: Judge = (obs) => {
  const freeze = obs.faults.find((f) => f.kind === 'freeze-daemon' || f.kind === 'pause-host');
  if (!freeze) throw new CannotJudge(`scenario '${obs.scenario.name}' freezes no daemon`);
  const sourceHost = Object.entries(obs.hosts).find(([name]) => name !== freeze.target.host)?.[1];
  const keepalive = sourceHost?.settings.keepalive;
  if (!keepalive) throw new CannotJudge('the source host has no keepalive settings, so there is no bound to judge');
  const bound = keepaliveBoundMs(keepalive);
  const end = obs.events.find(
    (e) =>
      e.side === 'source' &&
      e.t > freeze.t &&
      (e.migrationStatus === 'failed' || e.migrationStatus === 'cancelled' || e.migrationStatus === 'completed'),
  );
  // Lateness may be the machine's lag; earliness may not.
  const late = allowance(obs, KEEPALIVE_TOLERANCE_MS);
  const measurements: Record<string, number> = { keepaliveBoundMs: bound, toleranceMs: late };
  if (!end) return fail(`the source never gave up after the target daemon froze${deadlineNote(obs)}`, measurements);
  const gaveUpMs = end.t - freeze.t;
  measurements.gaveUpAfterMs = Math.round(gaveUpMs);
  if (end.migrationStatus === 'completed')
    return fail(`the migration completed ${ms(gaveUpMs)} after the target daemon froze`, measurements);
  const until = beforeMemoryCheck(obs, 'source');
  const after = passesBetween(obs, 'source', end.t, until);
  const state = statesBetween(obs, 'source', end.t, until).at(-1);
  measurements.sourcePassesAfter = after;
  if (gaveUpMs > bound + late) {
    return fail(
      `the source gave up ${ms(gaveUpMs)} after the freeze, beyond the keepalive bound ${bound} ms (+${late} ms)`,
      measurements,
    );
  }
  // Any early failure would otherwise do: the end must come from the keepalive, around its bound.
  if (gaveUpMs < bound - KEEPALIVE_TOLERANCE_MS) {
    return fail(
      `the source gave up ${ms(gaveUpMs)} after the freeze, well before the keepalive bound ${bound} ms (-${KEEPALIVE_TOLERANCE_MS} ms): not the keepalive's doing${obs.migration?.final?.errorDesc ? ` ("${obs.migration.final.errorDesc}")` : ''}`,
      measurements,
    );
  }
  if (after < MIN_PROGRESS_PASSES || state !== 'running')
    return fail(`after giving up, the source made ${after} passes and is '${state ?? 'unsampled'}'`, measurements);
  const memory = obs.memory.source;
  if (memory && !memory.intact)
    return fail(`source RAM corrupt after the failed migration: ${memory.summary}`, measurements);
  const why = obs.migration?.final?.errorDesc ? `: "${obs.migration.final.errorDesc}"` : '';
  return pass(
    `the source gave up ${ms(gaveUpMs)} after the target daemon froze (bound ${bound} ms)${why}; the guest runs on at the source`,
    measurements,
  );
};

export const P2P_05: Judge = (obs) => {
  const migration = obs.migration;
  if (!migration) throw new CannotJudge(`scenario '${obs.scenario.name}' never started a migration`);
  // Only what happened while the scenario played counts, not the teardown's aborts.
  const lastStep = obs.steps.at(-1)?.endedAt ?? obs.durationMs;
  const end = obs.events.find(
    (e) =>
      e.side === 'source' &&
      e.t >= migration.requestedAt &&
      e.t <= lastStep &&
      (e.migrationStatus === 'failed' || e.migrationStatus === 'cancelled' || e.migrationStatus === 'completed'),
  );
  if (!end) {
    const busy = obs.daemons.filter((s) => s.t >= migration.requestedAt).at(-1);
    return fail(
      `not refused: the migration to the guest's own host never ended${deadlineNote(obs)}${busy ? `; daemon then: ${poolText([busy])}` : ''}`,
    );
  }
  const refusalMs = end.t - migration.requestedAt;
  const error = migration.final?.errorDesc ?? '';
  const lowAfter = obs.calls.filter((c) => c.priority === 'low' && c.t >= end.t);
  const measurements: Record<string, number> = { refusalMs: Math.round(refusalMs) };
  if (end.migrationStatus === 'completed')
    return fail("the migration to the guest's own host was carried out", measurements);
  const bound = allowance(obs, REFUSAL_BOUND_MS);
  if (refusalMs > bound)
    return fail(`refused only after ${ms(refusalMs)} (bound ${bound} ms): "${error}"`, measurements);
  if (!/same host/i.test(error)) return fail(`refused, but the error does not say why: "${error}"`, measurements);
  if (!lowAfter.length)
    throw new CannotJudge('no low-priority call probed after the refusal, so a held worker would go unseen');
  const held = lowAfter.filter((c) => c.outcome === 'no-answer');
  if (held.length) return fail(`after the refusal a worker stayed taken: ${probeText(held)}`, measurements);
  const after = passesBetween(obs, 'source', end.t);
  if (after < MIN_PROGRESS_PASSES)
    return fail(`after the refusal the guest made only ${after} passes at the source`, measurements);
  return pass(
    `refused in ${ms(refusalMs)} with "${error}"; the worker was free again (${probeText(lowAfter)}); the guest runs on`,
    measurements,
  );
};
