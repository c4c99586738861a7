import type { Observation } from '../observation/types.ts';
import { deadlineNote, ms, passesBetween, selfJudged, statesBetween, statusSequence, statusTime } from './facts.ts';
import { MIG_02, MIG_03, MIG_04, MIN_PROGRESS_PASSES } from './mig.ts';
import { judgeRefusal } from './refusal.ts';
import { CannotJudge, fail, pass, run, skipped, type Judge, type Verdict } from './verdict.ts';
import { compareVersions } from '../util/versions.ts';
import { CPR_TRANSFER_SINCE } from '../drivers/vocabulary.ts';

// Same-host upgrade (seed 001): a guest moves to another QEMU on its own host, maybe a newer
// one, maybe without copying its RAM. The baseline judges (MIG-02..04) say whether the move
// itself held; these add what is particular to doing it on one host.

/** x-ignore-shared: "far below guest RAM" means under this share of it. */
export const SHARED_RAM_MAX_SHARE = 1 / 16;
/** SHU-06: "refused at once". */
export const SAME_HOST_REFUSAL_BOUND_MS = 5000;

/** The migration, required to be a same-host one, and why it did not start if it did not. */
function sameHost(obs: Observation): { host: string } | Verdict {
  const migration = obs.migration;
  if (!migration?.to) throw new CannotJudge(`scenario '${obs.scenario.name}' never started a migration`);
  if (migration.from !== migration.to)
    throw new CannotJudge(
      `scenario '${obs.scenario.name}' migrates ${migration.from} -> ${migration.to}, not within one host`,
    );
  const refused = migration.final?.status === 'failed' && /same host/i.test(migration.final.errorDesc ?? '');
  if (refused)
    return fail(
      `the ${obs.driver.name} management layer refused to migrate within one host: "${migration.final?.errorDesc}"`,
    );
  return { host: migration.to };
}

/** MIG-02..04 on this observation: the move itself held (RAM, progress, source stopped). */
function baselineHolds(obs: Observation): Verdict | undefined {
  for (const [id, judge] of [
    ['MIG-02', MIG_02],
    ['MIG-03', MIG_03],
    ['MIG-04', MIG_04],
  ] as const) {
    const v = run(judge, obs);
    if (v.verdict !== 'pass') return fail(`${id} does not hold: ${v.reason}`, v.measurements);
  }
  return undefined;
}

const isVerdict = (v: unknown): v is Verdict => typeof v === 'object' && v !== null && 'verdict' in v;

export const SHU_01: Judge = (obs) => {
  const where = sameHost(obs);
  if (isVerdict(where)) return where;
  const broken = baselineHolds(obs);
  if (broken) return broken;
  const transport = obs.migration?.settings.transport;
  if (transport !== 'unix')
    throw new CannotJudge(`scenario '${obs.scenario.name}' migrates over ${transport}, not a UNIX socket`);
  return pass(
    `migrated within ${where.host} over a UNIX socket in ${obs.migration?.final?.totalTimeMs ?? '?'} ms; RAM intact, the guest runs on, the old QEMU stopped`,
    {
      ...(obs.migration?.final?.totalTimeMs !== undefined && { totalTimeMs: obs.migration.final.totalTimeMs }),
    },
  );
};

export const SHU_02: Judge = (obs) => {
  const where = sameHost(obs);
  if (isVerdict(where)) return where;
  const { source, destination } = obs.guest?.emulators ?? {};
  if (!source || !destination) throw new CannotJudge('the driver did not say which QEMU versions ran the guest');
  if (compareVersions(source, destination) >= 0) {
    return skipped(
      `only QEMU ${source} on this host: no newer QEMU to upgrade to (cutover setup keeps QEMU 10.0 of the trixie host image)`,
    );
  }
  const broken = baselineHolds(obs);
  if (broken) return fail(`QEMU ${source} -> ${destination}: ${broken.reason}`, broken.measurements);
  return pass(`upgraded QEMU ${source} -> ${destination} on ${where.host}; the guest kept running with RAM intact`);
};

export const SHU_03: Judge = (obs) => {
  const where = sameHost(obs);
  if (isVerdict(where)) return where;
  if (!obs.migration?.settings.ignoreShared)
    throw new CannotJudge(`scenario '${obs.scenario.name}' does not ask for x-ignore-shared`);
  const broken = baselineHolds(obs);
  if (broken) return broken;
  const final = obs.migration.final;
  const transferred = final?.transferredBytes;
  // Not QEMU's ram.total: that leaves shared blocks out too. The guest's RAM as configured.
  const ram = obs.guest?.memoryMiB !== undefined ? obs.guest.memoryMiB * 2 ** 20 : undefined;
  if (transferred === undefined || !ram)
    throw new CannotJudge('the observation lacks the bytes sent or the guest RAM size');
  const measurements = {
    transferredBytes: transferred,
    guestRamBytes: ram,
    transferredShare: Math.round((transferred / ram) * 10_000) / 10_000,
  };
  const text = `${fmtBytes(transferred)} of RAM sent for ${fmtBytes(ram)} of guest RAM`;
  if (transferred > ram * SHARED_RAM_MAX_SHARE)
    return fail(`shared RAM was copied anyway: ${text} (bound ${SHARED_RAM_MAX_SHARE * 100}%)`, measurements);
  return pass(`${text}: RAM was not copied, and is intact on the new QEMU`, measurements);
};

export const SHU_04: Judge = (obs) => {
  const where = sameHost(obs);
  if (isVerdict(where)) return where;
  if (obs.migration?.settings.mode !== 'cpr-transfer')
    throw new CannotJudge(`scenario '${obs.scenario.name}' does not ask for cpr-transfer`);
  // The mode asked for is not the mode that ran: a QEMU that can do cpr-transfer, and RAM not copied, show it.
  const destination = obs.guest?.emulators.destination;
  if (!destination || compareVersions(destination, CPR_TRANSFER_SINCE) < 0) {
    return fail(
      `the destination QEMU (${destination ?? 'version unknown'}) cannot do cpr-transfer (QEMU >= ${CPR_TRANSFER_SINCE}), so the mode asked for did not run`,
    );
  }
  const broken = baselineHolds(obs);
  if (broken) return broken;
  const final = obs.migration.final;
  const transferred = final?.transferredBytes;
  const ram = obs.guest?.memoryMiB !== undefined ? obs.guest.memoryMiB * 2 ** 20 : undefined;
  if (transferred === undefined || !ram)
    throw new CannotJudge('the observation lacks the bytes sent or the guest RAM size');
  const measurements = {
    transferredBytes: transferred,
    guestRamBytes: ram,
    ...(final?.totalTimeMs !== undefined && { totalTimeMs: final.totalTimeMs }),
  };
  if (transferred > ram * SHARED_RAM_MAX_SHARE) {
    return fail(
      `RAM was copied, not handed over: ${fmtBytes(transferred)} sent for ${fmtBytes(ram)} of guest RAM (bound ${SHARED_RAM_MAX_SHARE * 100}%)`,
      measurements,
    );
  }
  return pass(
    `cpr-transfer within ${where.host} completed (QEMU ${destination}), ${fmtBytes(transferred)} of RAM sent for ${fmtBytes(ram)}; RAM intact, the guest runs on`,
    measurements,
  );
};

/**
 * SHU-05 (seed 001 point 4): the new QEMU took over shared RAM, then failed. Resuming the old
 * QEMU on RAM the new one already changed runs the guest on a memory that no longer matches
 * its CPU state. Exactly one runnable guest with intact RAM passes; so does a guest that is
 * declared lost; two runners, or one on corrupt RAM, fail.
 */
export const SHU_05: Judge = (obs) => {
  const own = selfJudged(obs, 'what a failed upgrade leaves (whether the old QEMU is resumed)');
  if (own) return own;
  const where = sameHost(obs);
  if (isVerdict(where)) return where;
  const completed = statusTime(obs, 'completed');
  if (completed === undefined)
    return fail(`the hand-over never completed (${statusSequence(obs).join(' -> ')})${deadlineNote(obs)}`);
  const loss = obs.faults.find((f) => f.t > completed && f.target.side === 'destination');
  if (!loss) throw new CannotJudge(`scenario '${obs.scenario.name}' never failed the new QEMU after the hand-over`);
  const took = passesBetween(obs, 'destination', completed, loss.t);
  if (took < 1)
    throw new CannotJudge('the new QEMU never ran the guest before it failed, so it never touched the shared RAM');
  const sourceAfter = passesBetween(obs, 'source', loss.t, obs.memory.source?.t ?? Infinity);
  const sourceState = statesBetween(obs, 'source', loss.t, obs.memory.source?.t ?? Infinity).at(-1);
  // Passes the new QEMU printed before it died can be read late by a busy harness: once it was
  // seen gone, only passes after that would be a runner's.
  const seenGone = obs.states.find((s) => s.side === 'destination' && s.t >= loss.t && s.state === 'gone')?.t ?? loss.t;
  const destinationAfter = passesBetween(obs, 'destination', seenGone + 50);
  const runners = [
    sourceAfter >= MIN_PROGRESS_PASSES || sourceState === 'running' ? 'the old QEMU' : undefined,
    destinationAfter > 0 ? 'the new QEMU' : undefined,
  ].filter(Boolean);
  const measurements = {
    newQemuPassesBeforeFailure: took,
    oldQemuPassesAfterFailure: sourceAfter,
    runnableGuests: runners.length,
  };
  if (runners.length > 1) return fail(`both QEMUs ran the guest after the failure`, measurements);
  if (runners.length === 0) {
    const lost =
      sourceState === 'gone' ? 'the old QEMU is gone' : `the old QEMU stays in '${sourceState ?? 'unsampled'}'`;
    return pass(
      `the guest was lost, and nothing pretends otherwise: the new QEMU died ${ms(loss.t - completed)} after taking over (${took} passes on the shared RAM); ${lost}`,
      measurements,
    );
  }
  const memory = obs.memory.source;
  if (!memory) throw new CannotJudge(`scenario '${obs.scenario.name}' has no check-memory step for the source`);
  if (!memory.intact) {
    return fail(
      `the old QEMU was resumed on RAM the new QEMU had already changed (${took} passes): ${sourceAfter} passes on corrupt RAM: ${memory.summary}`,
      measurements,
    );
  }
  return pass(
    `exactly one runnable guest after the failure (the old QEMU, ${sourceAfter} passes), RAM intact`,
    measurements,
  );
};

export const SHU_06: Judge = (obs) => {
  const migration = obs.migration;
  if (migration?.to && migration.from !== migration.to)
    throw new CannotJudge(`scenario '${obs.scenario.name}' does not migrate within one host`);
  return judgeRefusal(obs, {
    why: /same host/i,
    says: 'that the destination is the same host',
    boundMs: SAME_HOST_REFUSAL_BOUND_MS,
  });
};

function fmtBytes(n: number): string {
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
