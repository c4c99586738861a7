import type { Observation, SpiceSnapshot } from '../observation/types.ts';
import { allowance, deadlineNote, ms, passesBetween, selfJudged, statusSequence, statusTime } from './facts.ts';
import { MIN_PROGRESS_PASSES } from './mig.ts';
import { CannotJudge, fail, pass, type Judge, type Verdict } from './verdict.ts';

/** spice-server's MIGRATE_TIMEOUT (reds): how long it waits for a client to follow. */
export const SPICE_MIGRATE_TIMEOUT_MS = 10_000;
/** The stated tolerance on that bound (event delivery, a busy machine). */
export const SPICE_TOLERANCE_MS = 1000;
/** A seamless handover takes milliseconds; this is generous. */
export const SEAMLESS_BOUND_MS = 2000;
/** How long after SPICE_MIGRATE_COMPLETED (or the bound) a manager may take to stop the source. */
export const STOP_SLACK_MS = 2000;
/** "No added delay" with no client: the source is stopped within this of completion. */
export const NO_CLIENT_BOUND_MS = 1000;

const event = (obs: Observation, name: string, side: 'source' | 'destination' = 'source') =>
  obs.events.find((e) => e.side === side && e.name === name && e.t >= (obs.migration?.requestedAt ?? 0))?.t;

/** When the migration completed; a migration that never did is the implementation's failure. */
function completedAt(obs: Observation): number | Verdict {
  const done = statusTime(obs, 'completed');
  if (done === undefined)
    return fail(
      `the migration never completed (statuses: ${statusSequence(obs).join(' -> ') || 'none'}), so the client was never handed over${deadlineNote(obs)}`,
    );
  return done;
}

const connections = (s: SpiceSnapshot | undefined): number[] => [
  ...new Set(s?.status.channels.map((c) => c.connectionId) ?? []),
];

/** The client's connection before the migration (the first snapshot of the source). */
function clientBefore(obs: Observation): SpiceSnapshot {
  const before = obs.spice.find((s) => s.side === 'source' && s.status.channels.length > 0);
  if (!before)
    throw new CannotJudge(`scenario '${obs.scenario.name}' never saw a SPICE client connected to the source`);
  return before;
}

/** SPICE_MIGRATE_COMPLETED must follow completion within `bound`; the guest runs at the target meanwhile. */
function judgeBoundedHandover(obs: Observation, what: string): ReturnType<Judge> {
  clientBefore(obs);
  const done = completedAt(obs);
  if (typeof done !== 'number') return done;
  const spiceDone = event(obs, 'SPICE_MIGRATE_COMPLETED');
  const tolerance = allowance(obs, SPICE_TOLERANCE_MS);
  const bound = SPICE_MIGRATE_TIMEOUT_MS + tolerance;
  if (spiceDone === undefined)
    return fail(`${what}: no SPICE_MIGRATE_COMPLETED at all${deadlineNote(obs)}`, { boundMs: bound });
  const waited = spiceDone - done;
  const meanwhile = passesBetween(obs, 'destination', done, spiceDone);
  const measurements = { handoverMs: Math.round(waited), boundMs: bound, destinationPassesMeanwhile: meanwhile };
  if (waited < 0)
    return fail(`${what}: SPICE_MIGRATE_COMPLETED came ${ms(-waited)} before the migration completed`, measurements);
  if (waited > bound)
    return fail(
      `${what}: SPICE_MIGRATE_COMPLETED came ${ms(waited)} after completion, beyond ${SPICE_MIGRATE_TIMEOUT_MS} ms + ${tolerance} ms`,
      measurements,
    );
  if (waited > 1000 && meanwhile < MIN_PROGRESS_PASSES) {
    return fail(
      `${what}: the guest made only ${meanwhile} passes at the destination while SPICE waited ${ms(waited)}`,
      measurements,
    );
  }
  return pass(
    `${what}: SPICE_MIGRATE_COMPLETED ${ms(waited)} after completion (bound ${bound} ms); the guest ran at the destination meanwhile (${meanwhile} passes)`,
    measurements,
  );
}

export const SPICE_01: Judge = (obs) => {
  const before = clientBefore(obs);
  const done = completedAt(obs);
  if (typeof done !== 'number') return done;
  const spiceDone = event(obs, 'SPICE_MIGRATE_COMPLETED');
  if (spiceDone === undefined) return fail(`no SPICE_MIGRATE_COMPLETED after the migration${deadlineNote(obs)}`);
  const waited = spiceDone - done;
  const after = obs.spice.filter((s) => s.side === 'destination' && s.t > done).at(-1);
  const measurements = {
    handoverMs: Math.round(waited),
    channelsBefore: before.status.channels.length,
    channelsAfter: after?.status.channels.length ?? 0,
  };
  const seamless = allowance(obs, SEAMLESS_BOUND_MS);
  if (waited < 0 || waited > seamless)
    return fail(
      `SPICE_MIGRATE_COMPLETED came ${ms(waited)} after completion; seamless means within ${seamless} ms`,
      measurements,
    );
  if (!after)
    throw new CannotJudge(`scenario '${obs.scenario.name}' did not look at the destination's SPICE server afterwards`);
  const was = connections(before);
  const now = connections(after);
  if (now.length === 0) return fail('the client is not connected to the destination after the handover', measurements);
  if (!now.some((id) => was.includes(id))) {
    return fail(
      `the client's session started over at the destination: connection ${now.join(', ')}, was ${was.join(', ')}`,
      measurements,
    );
  }
  if (after.status.channels.length < before.status.channels.length) {
    return fail(
      `the client has ${after.status.channels.length} channels at the destination, ${before.status.channels.length} before`,
      measurements,
    );
  }
  return pass(
    `SPICE_MIGRATE_COMPLETED ${ms(waited)} after completion; the client goes on at the destination with the same connection ${now.join(', ')} (${after.status.channels.length} channels)`,
    measurements,
  );
};

export const SPICE_02: Judge = (obs) => judgeBoundedHandover(obs, 'client cannot reach the target');
export const SPICE_05: Judge = (obs) => {
  if (!obs.faults.some((f) => f.kind === 'stall-client'))
    throw new CannotJudge(`scenario '${obs.scenario.name}' never stalls the client`);
  return judgeBoundedHandover(obs, 'client stalled');
};

export const SPICE_03: Judge = (obs) => {
  const own = selfJudged(obs, 'when the source QEMU is stopped after the handover');
  if (own) return own;
  clientBefore(obs);
  const done = completedAt(obs);
  if (typeof done !== 'number') return done;
  const spiceDone = event(obs, 'SPICE_MIGRATE_COMPLETED');
  // The source must live until SPICE_MIGRATE_COMPLETED, or spice-server's bound without it.
  const earliest = spiceDone ?? done + SPICE_MIGRATE_TIMEOUT_MS;
  const slack = allowance(obs, STOP_SLACK_MS);
  const latest = (spiceDone ?? done + SPICE_MIGRATE_TIMEOUT_MS + allowance(obs, SPICE_TOLERANCE_MS)) + slack;
  const exit = obs.exits.source;
  const measurements: Record<string, number> = { latestStopMs: Math.round(latest - done) };
  if (spiceDone !== undefined) measurements.spiceHandoverMs = Math.round(spiceDone - done);
  if (!exit) {
    const lastLook = obs.steps.at(-1)?.endedAt ?? obs.durationMs;
    if (lastLook <= latest)
      throw new CannotJudge(
        `the scenario ended ${ms(lastLook - done)} after completion, before the latest allowed stop`,
      );
    return fail(
      `the source QEMU still ran ${ms(lastLook - done)} after completion, past ${spiceDone !== undefined ? 'SPICE_MIGRATE_COMPLETED' : 'the SPICE bound'} + ${slack} ms: it waits without bound`,
      measurements,
    );
  }
  measurements.sourceStoppedMs = Math.round(exit.t - done);
  if (exit.t < earliest) {
    return fail(
      `the source QEMU ended ${ms(exit.t - done)} after completion, before ${spiceDone !== undefined ? `SPICE_MIGRATE_COMPLETED (${ms(spiceDone - done)})` : 'the SPICE handover could end'}: the client lost its session`,
      measurements,
    );
  }
  if (exit.t > latest)
    return fail(
      `the source QEMU ended only ${ms(exit.t - done)} after completion, later than the bound allows (${ms(latest - done)})`,
      measurements,
    );
  return pass(
    `the source QEMU ended ${ms(exit.t - done)} after completion, ${ms(exit.t - earliest)} after ${spiceDone !== undefined ? 'SPICE_MIGRATE_COMPLETED' : 'the SPICE bound'}`,
    measurements,
  );
};

export const SPICE_04: Judge = (obs) => {
  const own = selfJudged(obs, 'when the source QEMU is stopped with no client to wait for');
  if (own) return own;
  if (obs.spice.some((s) => s.status.channels.length > 0))
    throw new CannotJudge(`scenario '${obs.scenario.name}' has a client connected`);
  const done = completedAt(obs);
  if (typeof done !== 'number') return done;
  const exit = obs.exits.source;
  const spiceDone = event(obs, 'SPICE_MIGRATE_COMPLETED');
  const measurements: Record<string, number> = {};
  if (spiceDone !== undefined) measurements.spiceHandoverMs = Math.round((spiceDone - done) * 10) / 10;
  if (!exit) return fail(`the source QEMU was not stopped after the migration${deadlineNote(obs)}`, measurements);
  const held = exit.t - done;
  measurements.sourceStoppedMs = Math.round(held);
  const bound = allowance(obs, NO_CLIENT_BOUND_MS);
  if (held > bound)
    return fail(`with no client, the source was kept ${ms(held)} after completion (bound ${bound} ms)`, measurements);
  return pass(
    `no client: the source stopped ${ms(held)} after completion${spiceDone !== undefined ? `, SPICE_MIGRATE_COMPLETED after ${ms(spiceDone - done)}` : ''}`,
    measurements,
  );
};

export const SPICE_06: Judge = (obs) => {
  const before = clientBefore(obs);
  const cancelled = statusTime(obs, 'cancelled') ?? statusTime(obs, 'failed');
  if (cancelled === undefined)
    return fail(
      `asked to cancel, the migration was neither cancelled nor failed (statuses: ${statusSequence(obs).join(' -> ') || 'none'})${deadlineNote(obs)}`,
    );
  const after = obs.spice.filter((s) => s.side === 'source' && s.t > cancelled).at(-1);
  if (!after)
    throw new CannotJudge(`scenario '${obs.scenario.name}' did not look at the source's SPICE server after the cancel`);
  const was = connections(before);
  const now = connections(after);
  const measurements = { channelsBefore: before.status.channels.length, channelsAfter: after.status.channels.length };
  if (!now.some((id) => was.includes(id)))
    return fail(
      `after the cancel the source's client is ${now.length ? `connection ${now.join(', ')}` : 'gone'}, was ${was.join(', ')}`,
      measurements,
    );
  if (after.status.channels.length < before.status.channels.length) {
    return fail(
      `the client kept only ${after.status.channels.length} of ${before.status.channels.length} channels at the source`,
      measurements,
    );
  }
  return pass(
    `the client stays with the source after the cancel: connection ${now.join(', ')}, ${after.status.channels.length} channels`,
    measurements,
  );
};
