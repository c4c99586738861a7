import type { Side } from '../drivers/types.ts';
import { FINAL_STATUSES } from '../drivers/vocabulary.ts';
import type { FaultRecord, Observation } from '../observation/types.ts';
import type { PremiseId } from '../requirements/premises.ts';
import { allMigrations, ms, passesBetween, phaseAt, statusAt, statusTime, watchAfterEnd } from './facts.ts';
import { exhaustedAt } from './p2p.ts';
import { pausedAfter } from './pcs.ts';
import { SPICE_MIGRATE_TIMEOUT_MS } from './spice.ts';

// How each premise (requirements/premises.ts) is checked on an observation. A premise either
// held (and the check says what showed it), or did not. When it did not, the check says whose
// doing that was: cutover's (its scenario did not create the condition: a fault that landed
// late, a step that never ran) makes the requirement "cannot judge"; the implementation's (it
// queued what should have crossed, it hung before the moment came) leaves the verdict to the
// requirement's own text, with the premise's fate said in the reason.

export type PremiseCheck =
  | { readonly held: true; readonly seen: string }
  | { readonly held: false; readonly why: string; readonly by: 'cutover' | 'implementation' };

export type CheckPremise = (obs: Observation) => PremiseCheck;

const held = (seen: string): PremiseCheck => ({ held: true, seen });
/** cutover did not create the condition: nothing can be judged. */
const missing = (why: string): PremiseCheck => ({ held: false, why, by: 'cutover' });
/** The implementation's own behaviour kept the condition from arising: its requirement decides. */
const prevented = (why: string): PremiseCheck => ({ held: false, why, by: 'implementation' });

const FINAL: ReadonlyArray<string> = FINAL_STATUSES;

/** The first step that ran out of time, when one did before `t`: the implementation hung there. */
function hungBefore(obs: Observation, t = Infinity): string | undefined {
  const late = obs.steps.find((s) => s.outcome === 'deadline' && s.startedAt <= t);
  return late ? `step ${late.index} (${late.do}) ran out of time: ${late.detail ?? ''}` : undefined;
}

/** A fault of these kinds (on that side, if given), or undefined. */
const faultOf = (obs: Observation, kinds: ReadonlyArray<string>, side?: Side): FaultRecord | undefined =>
  obs.faults.find((f) => kinds.includes(f.kind) && (side === undefined || f.target.side === side));

const requestedAt = (obs: Observation): number => obs.migration?.requestedAt ?? obs.durationMs;

// ---- the guest and the watch ----

const guestRan: CheckPremise = (obs) => {
  // Every guest that migrates (the main one, and those beside it in P2P and UUID scenarios).
  const guests = [
    { name: 'the guest', passes: obs.progress.source.passes, asked: obs.migration?.requestedAt },
    ...Object.entries(obs.guests)
      .filter(([, g]) => g.migration)
      .map(([key, g]) => ({ name: `guest ${key}`, passes: g.progress.source.passes, asked: g.migration?.requestedAt })),
  ];
  const seen = guests.map((g) => ({ ...g, before: g.passes.filter((t) => t < (g.asked ?? obs.durationMs)).length }));
  const silent = seen.filter((g) => g.before === 0);
  // The guest is cutover's own: never seen to run, nothing about its migration can be judged.
  if (silent.length)
    return missing(
      `no pass of ${silent.map((g) => g.name).join(' or ')} was seen at the source before ${silent[0]?.asked !== undefined ? `the migration was asked for (${ms(silent[0].asked)})` : 'the scenario ended'}: its progress was never observed${hungBefore(obs) ? ` (${hungBefore(obs)})` : ''}`,
    );
  return held(seen.map((g) => `${g.before} passes of ${g.name} at the source before its migration`).join('; '));
};

/** The settle step's watch, which must have ended before any memory check paused a guest. */
const watchedAfterEnd: CheckPremise = (obs) => {
  const watch = watchAfterEnd(obs);
  return watch.held ? held(watch.words) : missing(watch.why);
};

// ---- pre-copy ----

/** A bandwidth this far above the guest's dirtying (~100 MiB/s) lets pre-copy converge. */
export const CONVERGING_BANDWIDTH = 1024 * 2 ** 20;

const convergingSetup: CheckPremise = (obs) => {
  const settings = obs.migration?.settings;
  if (!settings) return missing('no migration was asked for');
  const bandwidth = typeof settings.maxBandwidth === 'number' ? settings.maxBandwidth : undefined;
  if (bandwidth === undefined || bandwidth < CONVERGING_BANDWIDTH)
    return missing(
      `the migration's bandwidth limit is ${bandwidth === undefined ? "the implementation's default" : `${(bandwidth / 2 ** 20).toFixed(0)} MiB/s`}, not at least ${CONVERGING_BANDWIDTH / 2 ** 20} MiB/s: downtime would measure the throttle`,
    );
  if (settings.downtimeLimitMs === undefined) return missing('no downtime limit was asked for');
  return held(
    `max-bandwidth ${(bandwidth / 2 ** 20).toFixed(0)} MiB/s, downtime limit ${settings.downtimeLimitMs} ms asked for`,
  );
};

const cancelWhileActive: CheckPremise = (obs) => {
  const migration = obs.migration;
  if (!migration) return missing('no migration was asked for');
  const at = migration.cancelRequestedAt;
  if (at === undefined) {
    // The scenario cancels once the migration is active: one that never got there is the implementation's.
    const hung = hungBefore(obs);
    if (hung && statusAt(obs, 'source', Infinity) !== 'active' && !statusTime(obs, 'active'))
      return prevented(`the migration never became active, so the cancel was never asked for: ${hung}`);
    return missing('the scenario never asked to cancel');
  }
  const status = statusAt(obs, 'source', at);
  if (status === 'active') return held(`the cancel was asked for at ${ms(at)}, the migration active`);
  return missing(`the cancel was asked for at ${ms(at)} with the migration '${status ?? 'not started'}', not active`);
};

const destinationUnreachable: CheckPremise = (obs) => {
  const migration = obs.migration;
  if (!migration) return missing('no migration was asked for');
  if (migration.unreachable) return held(`nothing listened at ${migration.to ?? 'the destination'}`);
  const silent = obs.faults.find((f) => f.kind === 'silent-port' && f.t <= migration.requestedAt);
  if (silent)
    return held(`the destination's port took connections and never answered (silent-port at ${ms(silent.t)})`);
  return missing('the destination was reachable: nothing was made unreachable before the migration was asked for');
};

// ---- same host ----

const sameHost: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m?.to) return missing('no migration was asked for');
  if (m.from !== m.to) return missing(`the migration went ${m.from} -> ${m.to}, not within one host`);
  return held(`within ${m.to}`);
};

const overUnixSocket: CheckPremise = (obs) => {
  const transport = obs.migration?.settings.transport;
  return transport === 'unix'
    ? held('over a UNIX socket')
    : missing(`the migration went over ${transport ?? 'nothing'}`);
};

const ignoreSharedAsked: CheckPremise = (obs) =>
  obs.migration?.settings.ignoreShared
    ? held('x-ignore-shared asked for')
    : missing('the migration did not ask for x-ignore-shared');

const cprTransferAsked: CheckPremise = (obs) =>
  obs.migration?.settings.mode === 'cpr-transfer'
    ? held('cpr-transfer asked for')
    : missing(`the migration asked for mode '${String(obs.migration?.settings.mode ?? 'normal')}'`);

/** The fault that failed the new QEMU after the hand-over, and when the hand-over completed. */
function failureAfterHandover(obs: Observation): { completed: number; loss?: FaultRecord } | undefined {
  const completed = statusTime(obs, 'completed');
  if (completed === undefined) return undefined;
  const loss = obs.faults.find((f) => f.t > completed && f.target.side === 'destination');
  return { completed, ...(loss && { loss }) };
}

const newQemuFailedAfterHandover: CheckPremise = (obs) => {
  const found = failureAfterHandover(obs);
  if (!found) {
    // A hand-over that never completed is the implementation's: SHU-05's text judges it.
    const hung = hungBefore(obs);
    return prevented(`the hand-over never completed${hung ? ` (${hung})` : ''}`);
  }
  if (!found.loss) return missing('no fault failed the new QEMU after the hand-over completed');
  return held(`${found.loss.kind} struck the new QEMU ${ms(found.loss.t - found.completed)} after the hand-over`);
};

const newQemuTookOver: CheckPremise = (obs) => {
  const found = failureAfterHandover(obs);
  if (!found?.loss) return missing('the new QEMU never failed after a completed hand-over');
  const took = passesBetween(obs, 'destination', found.completed, found.loss.t);
  if (took < 1) return missing('the new QEMU made no pass before it failed, so it never touched the shared RAM');
  return held(`the new QEMU made ${took} passes on the shared RAM before it failed`);
};

/** SHU-05's watch of the old QEMU after the failure: long enough to see it resumed, if it is. */
export const OLD_QEMU_WATCH_MS = 1000;

const oldQemuWatched: CheckPremise = (obs) => {
  const loss = failureAfterHandover(obs)?.loss;
  if (!loss) return missing('the new QEMU never failed after a completed hand-over');
  const until = obs.memory.source?.t ?? Infinity;
  const samples = obs.states.filter((s) => s.side === 'source' && s.t >= loss.t && s.t < until);
  const span = samples.length ? (samples.at(-1)?.t ?? 0) - loss.t : 0;
  if (span < OLD_QEMU_WATCH_MS)
    return missing(
      `the old QEMU's run state was sampled ${samples.length} time(s) over ${ms(span)} after the new one failed, not for ${OLD_QEMU_WATCH_MS} ms`,
    );
  return held(`${samples.length} samples of the old QEMU's run state over ${ms(span)} after the failure`);
};

// ---- identity ----

/** The destination host's last inventory taken before the migration was asked for. */
function inventoryBefore(obs: Observation) {
  const m = obs.migration;
  if (!m?.to) return undefined;
  return (obs.inventories ?? []).filter((i) => i.host === m.to && i.t <= m.requestedAt).at(-1);
}

const uuidClashPresent: CheckPremise = (obs) => {
  const uuid = obs.guest?.uuid?.toLowerCase();
  const before = inventoryBefore(obs);
  if (!uuid) return missing('the guest has no UUID on record');
  if (!before) return missing(`no inventory of ${obs.migration?.to ?? 'the destination'} before the migration`);
  const clash = before.guests.find((g) => g.uuid?.toLowerCase() === uuid);
  return clash
    ? held(`${before.host} held '${clash.name}' (${clash.state}) with UUID ${uuid}`)
    : missing(`${before.host} held no guest with UUID ${uuid} before the migration`);
};

const nameClashPresent: CheckPremise = (obs) => {
  const name = obs.guest?.name;
  const uuid = obs.guest?.uuid?.toLowerCase();
  const before = inventoryBefore(obs);
  if (!name) return missing('the guest has no name on record');
  if (!before) return missing(`no inventory of ${obs.migration?.to ?? 'the destination'} before the migration`);
  const clash = before.guests.find((g) => g.name === name);
  if (!clash) return missing(`${before.host} held no guest named '${name}' before the migration`);
  if (clash.uuid?.toLowerCase() === uuid) return missing(`${before.host}'s '${name}' has the same UUID too`);
  return held(`${before.host} held '${name}' with UUID ${clash.uuid ?? '(none)'}`);
};

const hostUuidShared: CheckPremise = (obs) => {
  const m = obs.migration;
  const uuids = [m?.from, m?.to].map((h) => (h ? obs.hosts[h]?.settings.hostUuid : undefined));
  if (m?.from === m?.to) return missing('the migration stays on one host: no two hosts to share a UUID');
  if (!uuids[0] || uuids[0] !== uuids[1])
    return missing(`the hosts' UUIDs are ${uuids.map((u) => u ?? 'their own').join(' and ')}`);
  return held(`${m?.from} and ${m?.to} share host UUID ${uuids[0]}`);
};

const threeUuidCases: CheckPremise = (obs) => {
  const specs = [
    obs.migration ? obs.guest : undefined,
    ...Object.values(obs.guests).map((g) => (g.migration ? g.spec : undefined)),
  ];
  const settings = [obs.migration, ...Object.values(obs.guests).map((g) => g.migration)];
  const kinds = new Set<string>();
  specs.forEach((spec, i) => {
    if (!spec || !settings[i]?.settings.validateUuid) return;
    kinds.add(
      spec.destinationUuid === 'none'
        ? 'unset'
        : spec.destinationUuid === undefined || spec.destinationUuid === spec.uuid
          ? 'same'
          : 'differs',
    );
  });
  const lacking = ['differs', 'same', 'unset'].filter((k) => !kinds.has(k));
  return lacking.length
    ? missing(`validate-uuid migrations lack the case(s): ${lacking.join(', ')}`)
    : held('validate-uuid asked for with another UUID, the same UUID and none at the destination');
};

// ---- worker pools ----

const oneWorkerPerDaemon: CheckPremise = (obs) => {
  const pools = Object.entries(obs.hosts).map(([name, h]) => ({ name, max: h.settings.workers?.max }));
  const wider = pools.filter((p) => p.max !== 1);
  if (wider.length)
    return missing(
      `${wider.map((p) => `${p.name} has ${p.max ?? "the daemon's default"} workers`).join(', ')}, not one`,
    );
  return held(`one worker on each of ${pools.map((p) => p.name).join(', ')}`);
};

const migrationsCrossed: CheckPremise = (obs) => {
  const all = allMigrations(obs);
  const pair = all.flatMap((a) =>
    all.filter((b) => a !== b && a.from === b.to && a.to === b.from).map((b) => [a, b] as const),
  )[0];
  if (!pair) return missing('no two migrations went in opposite directions between the same hosts');
  const [a, b] = pair;
  // Asked for while the other still ran (no final status yet): cutover made them cross.
  const firstEnd = (m: typeof a): number => m.firstEndedAt ?? Infinity;
  if (b.requestedAt >= firstEnd(a) || a.requestedAt >= firstEnd(b)) {
    const [late, early] = b.requestedAt >= firstEnd(a) ? [b, a] : [a, b];
    return missing(
      `${late.guest} was asked for at ${ms(late.requestedAt)}, after ${early.guest}'s migration had ended (${ms(firstEnd(early))}): they never crossed`,
    );
  }
  // Whether both then ran at once is the implementation's doing: one it held back until the
  // other had ended, and only then ran, was queued, not crossed. One that never ran at all is
  // still crossed: it waits on the other (a deadlock's picture), and the judge decides.
  const [first, second] = firstEnd(a) <= firstEnd(b) ? [a, b] : [b, a];
  if (first.firstEndedAt !== undefined && second.activeAt !== undefined && second.activeAt >= first.firstEndedAt)
    return prevented(
      `the implementation held ${second.guest}'s migration back until ${first.guest}'s had ended (${ms(first.firstEndedAt)}), then ran it (${ms(second.activeAt)}): they never ran at once`,
    );
  return held(`${a.guest} (${a.from} -> ${a.to}) and ${b.guest} (${b.from} -> ${b.to}) were in flight at once`);
};

const moreMigrationsThanWorkers: CheckPremise = (obs) => {
  const all = allMigrations(obs);
  const first = all[0];
  if (!first) return missing('no migration was asked for');
  const workers = obs.hosts[first.from ?? '']?.settings.workers?.max;
  if (workers === undefined) return missing(`${first.from} has the daemon's default pool, not a stated size`);
  const firstEnd = Math.min(...all.map((m) => m.endedAt ?? Infinity));
  const together = all.filter((m) => m.requestedAt < firstEnd);
  if (together.length <= workers)
    return missing(`${together.length} migration(s) asked for before the first ended, for ${workers} worker(s)`);
  return held(`${together.length} migrations asked for at once, ${workers} worker(s) on ${first.from}`);
};

const poolsDryAtCalls: CheckPremise = (obs) => {
  const high = obs.calls.filter((c) => c.priority === 'high');
  if (!high.length) return missing('no high-priority call was probed');
  const notDry = high.map((c) => ({ c, at: exhaustedAt(obs, c) })).filter((x) => !x.at.held);
  if (notDry.length)
    return missing(notDry.map((x) => `${x.c.host} ${x.c.call.replace(/^virsh /, '')} ${x.at.why}`).join('; '));
  return held(`every daemon was out of workers at each of ${high.length} high-priority calls`);
};

const daemonFrozenMidMigration: CheckPremise = (obs) => {
  const freeze = faultOf(obs, ['freeze-daemon', 'pause-host']);
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  if (!freeze) return missing('no daemon was frozen');
  if (freeze.target.host === m.from) return missing(`the daemon frozen was the source's (${m.from}), not the target's`);
  if (freeze.t < m.requestedAt)
    return missing(`the target daemon froze at ${ms(freeze.t)}, before the migration was asked for`);
  const ended = obs.events.find(
    (e) => e.side === 'source' && e.t <= freeze.t && e.t >= m.requestedAt && FINAL.includes(e.migrationStatus ?? ''),
  );
  if (ended)
    return missing(
      `the migration had already ended '${ended.migrationStatus}' at ${ms(ended.t)} when the daemon froze (${ms(freeze.t)})`,
    );
  return held(
    `the target daemon froze ${ms(freeze.t - m.requestedAt)} after the migration was asked for, while it ran`,
  );
};

const ownHostTarget: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m?.to) return missing('no migration was asked for');
  if (m.from === m.to) return held(`asked to go from ${m.from} to itself`);
  const uuid = (h: string | undefined) => (h ? obs.hosts[h]?.settings.hostUuid : undefined);
  if (uuid(m.from) && uuid(m.from) === uuid(m.to)) return held(`${m.to} shares ${m.from}'s host UUID`);
  return missing(`asked to go ${m.from} -> ${m.to}, another host`);
};

// ---- SPICE ----

const clientConnected: CheckPremise = (obs) => {
  const t = requestedAt(obs);
  const before = obs.spice.find((s) => s.side === 'source' && s.t <= t && s.status.channels.length > 0);
  if (before) return held(`a client with ${before.status.channels.length} channels at ${ms(before.t)}`);
  const connected = obs.events.find((e) => e.side === 'source' && e.name === 'SPICE_INITIALIZED' && e.t <= t);
  if (connected)
    return missing("a client connected, but the source's SPICE server was never queried before the migration");
  return missing('no SPICE client was seen connected to the source before the migration');
};

const noClient: CheckPremise = (obs) => {
  const seen = obs.spice.find((s) => s.status.channels.length > 0);
  if (seen)
    return missing(
      `a client was connected (${seen.status.channels.length} channels on the ${seen.side} at ${ms(seen.t)})`,
    );
  if (!obs.spice.length && !obs.events.some((e) => e.name.startsWith('SPICE_')))
    return held('no SPICE client ever connected (no SPICE event)');
  return held('no SPICE client was connected');
};

const clientHeld: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  const target = m.settings.spice;
  if (typeof target !== 'object' || target === null)
    return missing(`the client was sent to '${String(target ?? 'nowhere')}', not to an unreachable target`);
  const reached = (obs.spiceTargets ?? []).filter((c) => c.t >= m.requestedAt);
  if (!reached.length)
    return missing(
      'the client never reached for the unreachable target it was sent to (no connection there was recorded)',
    );
  // Held when the hand-over ended: it was stuck at the target before SPICE_MIGRATE_COMPLETED.
  const handover = obs.events.find(
    (e) => e.side === 'source' && e.name === 'SPICE_MIGRATE_COMPLETED' && e.t >= m.requestedAt,
  )?.t;
  if (handover !== undefined && (reached[0]?.t ?? Infinity) > handover)
    return missing(
      `the client reached for the unreachable target only at ${ms(reached[0]?.t ?? 0)}, after the hand-over ended (${ms(handover)}): it was not held by it`,
    );
  const atDestination = obs.spice.find((s) => s.side === 'destination' && s.status.channels.length > 0);
  if (atDestination)
    return missing(
      `the client reached the destination anyway (${atDestination.status.channels.length} channels at ${ms(atDestination.t)})`,
    );
  return held(`the client tried the unreachable target ${reached.length} time(s), first at ${ms(reached[0]?.t ?? 0)}`);
};

const clientStalled: CheckPremise = (obs) => {
  const stall = faultOf(obs, ['stall-client']);
  if (!stall) return missing('the client was never stalled');
  const done = statusTime(obs, 'completed');
  if (done !== undefined && stall.t > done)
    return missing(`the client was stalled at ${ms(stall.t)}, after the migration completed (${ms(done)})`);
  // Stalled through the hand-over: until SPICE_MIGRATE_COMPLETED, or spice-server's bound without it.
  const handover = obs.events.find(
    (e) => e.side === 'source' && e.name === 'SPICE_MIGRATE_COMPLETED' && e.t > stall.t,
  )?.t;
  const through = handover ?? (done === undefined ? Infinity : done + SPICE_MIGRATE_TIMEOUT_MS);
  const resumed = obs.faults.find((f) => f.kind === 'resume-client' && f.t > stall.t);
  if (resumed && resumed.t < through)
    return missing(`the client was resumed at ${ms(resumed.t)}, before the hand-over ended (${ms(through)})`);
  return held(`the client stalled at ${ms(stall.t)} and stayed so through the hand-over`);
};

const cancelledBeforeHandover: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  const done = statusTime(obs, 'completed');
  const cancel = m.cancelRequestedAt;
  if (cancel !== undefined) {
    if (done !== undefined && done < cancel)
      return missing(`the cancel was asked for at ${ms(cancel)}, after the migration completed (${ms(done)})`);
    return held(`the cancel was asked for at ${ms(cancel)}, before the migration completed`);
  }
  const failed = statusTime(obs, 'failed');
  if (failed !== undefined && done === undefined) return held(`the migration failed at ${ms(failed)}`);
  return missing('the migration was neither cancelled nor failed by the scenario');
};

// ---- source or destination lost ----

const sourceKilledInPostcopy: CheckPremise = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source');
  if (!kill) return missing('the source was never killed');
  const status = statusAt(obs, 'source', kill.t);
  if (status !== 'postcopy-active')
    return missing(`the source died in '${status ?? 'no migration'}', not in postcopy-active`);
  const completed = statusTime(obs, 'completed', 'destination');
  if (completed !== undefined && completed <= kill.t)
    return missing('post-copy had already completed when the source died');
  return held(`the source was killed at ${ms(kill.t)} in postcopy-active`);
};

const linkCutInPostcopy: CheckPremise = (obs) => {
  const cut = faultOf(obs, ['cut-link', 'blackhole-link']);
  if (!cut) return missing('the migration link was never cut');
  const status = statusAt(obs, 'source', cut.t);
  if (status !== 'postcopy-active')
    return missing(`the link was cut in '${status ?? 'no migration'}', not in postcopy-active`);
  return held(`the link was cut at ${ms(cut.t)} in postcopy-active`);
};

const recoveryAsked: CheckPremise = (obs) => {
  const cut = faultOf(obs, ['cut-link', 'blackhole-link']);
  if (!cut) return missing('the migration link was never cut');
  const recover = obs.actions.find((a) => a.action === 'recover' && a.t > cut.t);
  if (recover) return held(`recovery asked for ${ms(recover.t - cut.t)} after the cut`);
  // The scenario asks for recovery once both sides paused: sides that never paused are the implementation's.
  const paused = (['source', 'destination'] as const).every((side) => pausedAfter(obs, side, cut.t) !== undefined);
  if (!paused) return prevented('recovery was never asked for: a side never paused after the cut');
  return missing('the scenario never asked for recovery, though both sides paused');
};

const sourceKilledBeforeCutover: CheckPremise = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source');
  if (!kill) return missing('the source was never killed');
  if (!obs.migration || kill.t < obs.migration.requestedAt)
    return missing('the source was killed before any migration was asked for');
  const after = obs.events.find(
    (e) =>
      e.side === 'source' &&
      e.t <= kill.t &&
      (e.migrationStatus === 'postcopy-active' || e.migrationStatus === 'completed'),
  );
  if (after) return missing(`the source died after cut-over ('${after.migrationStatus}' at ${ms(after.t)})`);
  return held(`the source was killed at ${ms(kill.t)}, '${statusAt(obs, 'source', kill.t) ?? 'before any status'}'`);
};

const destinationKilledBeforeCutover: CheckPremise = (obs) => {
  const kill = faultOf(obs, ['kill'], 'destination');
  if (!kill) return missing('the destination was never killed');
  if (!obs.migration || kill.t < obs.migration.requestedAt)
    return missing('the destination was killed before any migration was asked for');
  const status = statusAt(obs, 'source', kill.t);
  if (status === 'postcopy-active' || status === 'completed')
    return missing(`the destination died after cut-over ('${status}')`);
  return held(`the destination was killed at ${ms(kill.t)}, the source '${status ?? 'before any status'}'`);
};

const sourceKilledAfterCutover: CheckPremise = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source');
  if (!kill) return missing('the source was never killed');
  const cutover =
    obs.events.find((e) => e.side === 'destination' && e.name === 'RESUME')?.t ??
    statusTime(obs, 'completed', 'destination');
  if (cutover === undefined || cutover > kill.t) return missing(`the source died at ${ms(kill.t)}, before cut-over`);
  return held(`the source was killed ${ms(kill.t - cutover)} after cut-over`);
};

const streamUnfinishedAtLoss: CheckPremise = (obs) => {
  const kill = faultOf(obs, ['kill'], 'source');
  if (!kill) return missing('the source was never killed');
  const end = obs.events.find(
    (e) =>
      e.side === 'destination' &&
      e.name === 'BLOCK_JOB_COMPLETED' &&
      (e.data as { type?: string } | undefined)?.type === 'stream',
  );
  const error = (end?.data as { error?: string } | undefined)?.error;
  if (end && !error && end.t <= kill.t)
    return missing(`the disk had been streamed in full (${ms(end.t)}) before the source died (${ms(kill.t)})`);
  return held('the disk was still being streamed when the source died');
};

const mirrorInFlightAtLoss: CheckPremise = (obs) => {
  const kill = faultOf(obs, ['kill'], 'destination');
  if (!kill) return missing('the destination was never killed');
  const m = obs.migration;
  if (!m || kill.t < m.requestedAt) return missing('the destination was killed before any migration was asked for');
  const completed = statusTime(obs, 'completed');
  if (completed !== undefined && completed <= kill.t)
    return missing(`the destination died after the switch-over (${ms(completed)})`);
  const jobs = obs.events.filter((e) => e.side === 'source' && e.name === 'JOB_STATUS_CHANGE' && e.t <= kill.t);
  const status = (e: (typeof jobs)[number]) => (e.data as { status?: string } | undefined)?.status;
  const started = jobs.find((e) => status(e) === 'running');
  const over = jobs.find((e) => ['concluded', 'null', 'aborting'].includes(status(e) ?? ''));
  if (started && !over)
    return held(`the mirror ran from ${ms(started.t)} and was still running when the destination died`);
  const migrating = statusAt(obs, 'source', kill.t);
  if (migrating && !FINAL.includes(migrating) && migrating !== 'none')
    return held(`the migration was '${migrating}' when the destination died`);
  if (!started && !migrating) {
    const hung = hungBefore(obs, kill.t);
    return missing(
      `neither the mirror nor the migration had started when the destination died${hung ? ` (${hung})` : ''}`,
    );
  }
  return missing(`the mirror and the migration were over when the destination died (${ms(kill.t)})`);
};

// ---- protocol phases ----

const refusalArmed: CheckPremise = (obs) => {
  const refusal = faultOf(obs, ['refuse-prepare']);
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  if (!refusal) return missing('the destination was never told to refuse Prepare');
  if (refusal.t > m.requestedAt)
    return missing(
      `the destination was told to refuse only ${ms(refusal.t - m.requestedAt)} after the migration began`,
    );
  return held(`the destination was told to refuse Prepare at ${ms(refusal.t)}`);
};

/** The fault struck while the side was in one of these phases. */
function struckInPhase(
  obs: Observation,
  fault: FaultRecord | undefined,
  what: string,
  side: Side,
  phases: ReadonlyArray<string>,
): PremiseCheck {
  if (!fault) return missing(`${what} never happened`);
  const phase = phaseAt(obs, side, fault.t);
  if (!phase || !phases.includes(phase))
    return missing(
      `the ${fault.kind} fault struck at ${ms(fault.t)} with the ${side} in phase '${phase ?? 'none reported'}', not in ${phases.join(' or ')}`,
    );
  return held(`the ${fault.kind} fault struck at ${ms(fault.t)} in ${phase}`);
}

const linkCutInPerform: CheckPremise = (obs) =>
  struckInPhase(obs, faultOf(obs, ['cut-link', 'blackhole-link']), 'a cut of the migration link', 'source', [
    'perform3',
  ]);

const sourceDaemonRestartedInPerform: CheckPremise = (obs) => {
  const restart = faultOf(obs, ['restart-daemon']);
  const from = obs.migration?.from;
  if (restart && restart.target.host !== from)
    return missing(
      `the daemon restarted was ${restart.target.host ?? 'unknown'}'s, not the source's (${from ?? 'unknown'})`,
    );
  return struckInPhase(obs, restart, "a restart of the source's daemon", 'source', ['perform3']);
};

const killedBetweenTransferAndFinish: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  const kill = obs.faults.find(
    (f) =>
      (f.kind === 'kill' && f.target.side === 'destination') || (f.kind === 'restart-daemon' && f.target.host === m.to),
  );
  if (!kill) return missing("the destination's QEMU or daemon was never killed");
  const sourcePhase = phaseAt(obs, 'source', kill.t);
  const transferred =
    sourcePhase === 'perform3_done' ||
    obs.events.some((e) => e.side === 'source' && e.migrationStatus === 'completed' && e.t <= kill.t);
  if (!transferred)
    return missing(
      `the destination was killed at ${ms(kill.t)} with the source in phase '${sourcePhase ?? 'none reported'}', before the transfer completed`,
    );
  const early =
    obs.progress.destination.passes.find((t) => t < kill.t) ??
    obs.events.find((e) => e.side === 'destination' && e.name === 'RESUME' && e.t < kill.t)?.t;
  if (early !== undefined)
    return missing(`the destination already ran the guest (at ${ms(early)}) before it was killed, after Finish`);
  return held(
    `the destination was killed at ${ms(kill.t)}, after the transfer (source in ${sourcePhase ?? 'completed'}), before it ran the guest`,
  );
};

const mustSucceedFailed: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  const features = Array.isArray(m.settings.mustSucceed) ? (m.settings.mustSucceed as string[]) : [];
  if (!features.includes('graphics-relocation')) return missing('no feature was marked must-succeed');
  // The feature is the client's relocation: it failed if the client never reached the destination.
  const clientBefore = clientConnected(obs);
  if (!clientBefore.held) return missing(`no client to relocate: ${clientBefore.why}`);
  const target = m.settings.spice;
  if (typeof target !== 'object' || target === null)
    return missing(
      `the client was sent to '${String(target ?? 'nowhere')}', which it can reach: the relocation could succeed`,
    );
  const atDestination = obs.spice.find((s) => s.side === 'destination' && s.status.channels.length > 0);
  if (atDestination)
    return missing(
      `the client reached the destination (${atDestination.status.channels.length} channels at ${ms(atDestination.t)}): the relocation succeeded`,
    );
  const tried = (obs.spiceTargets ?? []).filter((c) => c.t >= m.requestedAt);
  if (!tried.length)
    return missing('no sign that the client tried to follow (no connection at the unreachable target)');
  return held(`the client could not follow: sent to an unreachable target, tried it ${tried.length} time(s)`);
};

// ---- generated schedules ----

const faultStruck: CheckPremise = (obs) => {
  const m = obs.migration;
  if (!m) return missing('no migration was asked for');
  const end = Math.min(
    Infinity,
    ...obs.events
      .filter((e) => e.side === 'source' && e.t >= m.requestedAt && FINAL.includes(e.migrationStatus ?? ''))
      .map((e) => e.t),
  );
  const during = obs.faults.filter((f) => f.t <= end + 1);
  if (during.length) return held(during.map((f) => `${f.kind} at ${f.placement} (${ms(f.t)})`).join(', '));
  if (obs.faults.length)
    return missing(
      `the faults struck only after the migration ended (${ms(end)}): ${obs.faults.map((f) => `${f.kind} at ${ms(f.t)}`).join(', ')}`,
    );
  return missing("none of the schedule's faults struck (their moments never came)");
};

/** Every premise's check, by the premise's ID (requirements/premises.ts lists them). */
export const PREMISE_CHECKS: Readonly<Record<PremiseId, CheckPremise>> = {
  'guest-ran': guestRan,
  'watched-after-end': watchedAfterEnd,
  'converging-setup': convergingSetup,
  'cancel-while-active': cancelWhileActive,
  'destination-unreachable': destinationUnreachable,
  'same-host': sameHost,
  'over-unix-socket': overUnixSocket,
  'ignore-shared-asked': ignoreSharedAsked,
  'cpr-transfer-asked': cprTransferAsked,
  'new-qemu-took-over': newQemuTookOver,
  'new-qemu-failed-after-handover': newQemuFailedAfterHandover,
  'old-qemu-watched': oldQemuWatched,
  'uuid-clash-present': uuidClashPresent,
  'name-clash-present': nameClashPresent,
  'host-uuid-shared': hostUuidShared,
  'three-uuid-cases': threeUuidCases,
  'migrations-crossed': migrationsCrossed,
  'one-worker-per-daemon': oneWorkerPerDaemon,
  'more-migrations-than-workers': moreMigrationsThanWorkers,
  'pools-dry-at-calls': poolsDryAtCalls,
  'daemon-frozen-mid-migration': daemonFrozenMidMigration,
  'own-host-target': ownHostTarget,
  'client-connected': clientConnected,
  'client-held': clientHeld,
  'client-stalled': clientStalled,
  'no-client': noClient,
  'cancelled-before-handover': cancelledBeforeHandover,
  'source-killed-in-postcopy': sourceKilledInPostcopy,
  'link-cut-in-postcopy': linkCutInPostcopy,
  'recovery-asked': recoveryAsked,
  'source-killed-before-cutover': sourceKilledBeforeCutover,
  'destination-killed-before-cutover': destinationKilledBeforeCutover,
  'source-killed-after-cutover': sourceKilledAfterCutover,
  'stream-unfinished-at-loss': streamUnfinishedAtLoss,
  'mirror-in-flight-at-loss': mirrorInFlightAtLoss,
  'refusal-armed': refusalArmed,
  'link-cut-in-perform': linkCutInPerform,
  'killed-between-transfer-and-finish': killedBetweenTransferAndFinish,
  'source-daemon-restarted-in-perform': sourceDaemonRestartedInPerform,
  'must-succeed-failed': mustSucceedFailed,
  'fault-struck': faultStruck,
};
