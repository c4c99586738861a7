import type { FaultRecord, Observation } from '../observation/types.ts';
import {
  beforeMemoryCheck,
  faultOf,
  ms,
  passesBetween,
  phaseAt,
  requireMemory,
  requireMigration,
  selfJudged,
  statesBetween,
  statusSequence,
  statusTime,
} from './facts.ts';
import { MIG_08, MIN_PROGRESS_PASSES } from './mig.ts';
import { CannotJudge, fail, pass, skipped, type Judge, type Verdict } from './verdict.ts';

// Failures in each phase of the migration protocol, and their roll-back (seed 002). Each of
// V3-01..04 first checks that the fault struck in the phase its requirement is about (else the
// scenario did not create the condition, and nothing is judged), then that the migration was
// rolled back once things settled: the failure reported with a reason, exactly one running
// copy of the guest (at the source, making progress; the inventories agree), its RAM intact,
// and nothing of it left at the destination, neither a domain nor a QEMU.

/** Words a management layer uses for a guest that runs. */
const RUNNING = /^running$/i;

/** A host's last inventory taken after `after`. */
const lastInventory = (obs: Observation, host: string | undefined, after: number) =>
  (obs.inventories ?? []).filter((i) => i.host === host && i.t > after).at(-1);

/** What the roll-back check found: what failed, and what held. */
interface RollBack {
  readonly problems: string[];
  readonly held: string[];
  readonly measurements: Record<string, number>;
}

/** Checks the roll-back after a fault struck at `after`; `reason` checks the failure's words. */
function rollBack(obs: Observation, after: number, reason: (text: string) => string | undefined): RollBack {
  const migration = requireMigration(obs);
  const name = obs.guest?.name;
  if (!name) throw new CannotJudge(`scenario '${obs.scenario.name}' recorded no guest identity`);
  if (!obs.settle)
    throw new CannotJudge(
      `scenario '${obs.scenario.name}' kept no settle watch after the fault: a roll-back is judged once things settled`,
    );
  const problems: string[] = [];
  const held: string[] = [];

  const final = migration.final;
  const status = final?.status ?? statusSequence(obs).at(-1) ?? 'unknown';
  if (status === 'completed') problems.push(`the migration reported 'completed'`);
  else if (!final?.errorDesc) problems.push(`the migration ended '${status}' with no reason given`);
  else {
    const wrong = reason(final.errorDesc);
    if (wrong) problems.push(wrong);
    else held.push(`failed: "${final.errorDesc.slice(0, 200)}"`);
  }

  const until = beforeMemoryCheck(obs, 'source');
  const passes = passesBetween(obs, 'source', after, until);
  const sourceState = statesBetween(obs, 'source', after, until).at(-1);
  if (sourceState !== 'running' || passes < MIN_PROGRESS_PASSES)
    problems.push(`the source is '${sourceState ?? 'unsampled'}' with ${passes} passes after the fault`);
  else held.push(`the guest runs on at the source (${passes} passes)`);
  const destinationPasses = obs.progress.destination.passes.length;
  const destinationState = statesBetween(obs, 'destination', after, Infinity).at(-1);
  if (destinationPasses > 0 || destinationState === 'running') {
    problems.push(
      `the destination ran the guest too ('${destinationState ?? 'unsampled'}', ${destinationPasses} passes)`,
    );
  }

  const last = (host: string | undefined) => lastInventory(obs, host, after);
  const atDestination = last(migration.to);
  if (!atDestination)
    throw new CannotJudge(
      `scenario '${obs.scenario.name}' lacks an inventory of ${migration.to ?? 'the destination'} after the fault`,
    );
  const stale = atDestination.guests.filter((g) => g.name === name);
  if (stale.length)
    problems.push(`${migration.to} still holds ${stale.map((g) => `${g.name} (${g.state})`).join(', ')}`);
  else held.push(`nothing of it left on ${migration.to}`);
  const runningCopies = [...new Set((obs.inventories ?? []).map((i) => i.host))]
    .map((host) => last(host))
    .flatMap((i) => (i ? i.guests.filter((g) => g.name === name && RUNNING.test(g.state)).map(() => i.host) : []));
  if (runningCopies.length !== 1 || runningCopies[0] !== migration.from) {
    problems.push(
      `the inventories show ${runningCopies.length} running copies (${runningCopies.join(', ') || 'none'}), not one at ${migration.from ?? 'the source'}`,
    );
  }

  // A roll-back that already failed is judged without the memory read: a source that is gone has none.
  const memory = problems.length ? obs.memory.source : requireMemory(obs, 'source');
  if (memory && !memory.intact) problems.push(`source RAM corrupt: ${memory.summary}`);
  else if (memory) held.push('RAM intact');
  return { problems, held, measurements: { sourcePassesAfterFault: passes, runningCopies: runningCopies.length } };
}

/** The verdict of a roll-back: a pass names what held, a failure what did not. */
function verdictOf(check: RollBack, what: string): Verdict {
  if (check.problems.length)
    return fail(`${what}, but not rolled back: ${check.problems.join('; ')}`, check.measurements);
  return pass(`${what}, rolled back: ${check.held.join('; ')}`, check.measurements);
}

/** A failure needs a reason; any non-empty one will do unless the requirement names it. */
const anyReason = (): undefined => undefined;

/** On cutover's own qemu driver, a roll-back done by its management code judges cutover: skipped. */
function rolledBackByCutover(obs: Observation, after: number): Verdict | undefined {
  const policy = obs.events.find((e) => e.t >= after && e.name === 'CUTOVER_POLICY');
  return policy ? selfJudged(obs, `the roll-back (${JSON.stringify(policy.data)})`) : undefined;
}

/** The fault struck while the side was in one of these phases (else the condition never held). */
function struckIn(
  obs: Observation,
  fault: FaultRecord,
  side: 'source' | 'destination',
  phases: ReadonlyArray<string>,
): string {
  const phase = phaseAt(obs, side, fault.t);
  if (!phase || !phases.includes(phase)) {
    throw new CannotJudge(
      `the ${fault.kind} fault struck at ${ms(fault.t)} with the ${side} in phase '${phase ?? 'none reported'}', not in ${phases.join(' or ')}: the scenario did not create the condition`,
    );
  }
  return phase;
}

export const V3_01: Judge = (obs) => {
  const self = selfJudged(obs, 'a refusal at Prepare and what it leaves');
  if (self) return self;
  const refusal = faultOf(obs, ['refuse-prepare'], undefined, 'made the destination refuse Prepare');
  const migration = requireMigration(obs);
  if (refusal.t > migration.requestedAt)
    throw new CannotJudge(
      `the destination was told to refuse only ${ms(refusal.t - migration.requestedAt)} after the migration began`,
    );
  const said = /\("(.*)"\)$/.exec(refusal.detail ?? '')?.[1];
  const seq = statusSequence(obs);
  if (seq.includes('completed'))
    return fail(`the migration completed although the destination refused Prepare (${seq.join(' -> ')})`);
  // The reason must name what failed: the destination's own words, as its hook said them.
  const check = rollBack(obs, refusal.t, (text) =>
    said && !text.includes(said)
      ? `the error does not say the destination refused it ("${text.slice(0, 200)}")`
      : undefined,
  );
  return verdictOf(check, 'the destination refused Prepare');
};

export const V3_02: Judge = (obs) => {
  const cut = faultOf(obs, ['cut-link', 'blackhole-link'], undefined, 'cut the migration link');
  const phase = struckIn(obs, cut, 'source', ['perform3']);
  const self = rolledBackByCutover(obs, cut.t);
  if (self) return self;
  return verdictOf(rollBack(obs, cut.t, anyReason), `the link was cut in ${phase}`);
};

export const V3_03: Judge = (obs) => {
  // What fails Finish: the destination's QEMU killed, or its daemon ended (and restarted).
  const migration = requireMigration(obs);
  const kill = obs.faults.find(
    (f) =>
      (f.kind === 'kill' && f.target.side === 'destination') ||
      (f.kind === 'restart-daemon' && f.target.host === migration.to),
  );
  if (!kill) throw new CannotJudge(`scenario '${obs.scenario.name}' never killed the destination's QEMU or daemon`);
  const what =
    kill.kind === 'kill'
      ? 'the destination QEMU was killed'
      : `the destination daemon was ended (${kill.detail ?? kill.kind})`;
  // After the transfer: the source had completed its part (perform3_done, or QEMU's 'completed').
  const sourcePhase = phaseAt(obs, 'source', kill.t);
  const transferred =
    sourcePhase === 'perform3_done' ||
    obs.events.some((e) => e.side === 'source' && e.migrationStatus === 'completed' && e.t <= kill.t);
  if (!transferred)
    throw new CannotJudge(
      `the destination was killed at ${ms(kill.t)} with the source in phase '${sourcePhase ?? 'none reported'}', before the transfer completed: the scenario did not create the condition`,
    );
  // Before Finish resumed it: the destination had not run the guest.
  const early =
    obs.progress.destination.passes.find((t) => t < kill.t) ??
    obs.events.find((e) => e.side === 'destination' && e.name === 'RESUME' && e.t < kill.t)?.t;
  if (early !== undefined)
    throw new CannotJudge(
      `the destination already ran the guest (at ${ms(early)}) before it was killed: the scenario did not strike before Finish resumed it`,
    );
  const self = rolledBackByCutover(obs, kill.t);
  if (self) return self;
  return verdictOf(
    rollBack(obs, kill.t, anyReason),
    `${what} after the transfer (source in ${sourcePhase ?? 'completed'}), before Finish resumed the guest there`,
  );
};

export const V3_04: Judge = (obs) => {
  const restart = faultOf(obs, ['restart-daemon'], undefined, 'restarted a daemon');
  const migration = requireMigration(obs);
  if (restart.target.host !== migration.from)
    throw new CannotJudge(
      `the daemon restarted was ${restart.target.host ?? 'unknown'}'s, not the source's (${migration.from ?? 'unknown'})`,
    );
  const phase = struckIn(obs, restart, 'source', ['perform3']);
  return verdictOf(
    rollBack(obs, restart.t, anyReason),
    `the source daemon was ended in ${phase} (${restart.detail ?? restart.kind})`,
  );
};

/**
 * Reached only where an implementation offers a must-succeed policy (capability
 * must-succeed): the feature failed at the destination, so the migration must fail and roll back.
 */
export const V3_05: Judge = (obs) => {
  const migration = requireMigration(obs);
  if (!obs.driver.capabilities.includes('must-succeed'))
    return skipped(`the ${obs.driver.name} driver offers no must-succeed policy`);
  return verdictOf(
    rollBack(obs, migration.requestedAt, anyReason),
    'a feature marked must-succeed failed at the destination',
  );
};

/**
 * V3-INV, over a generated schedule: whatever the faults did, the guest ends in exactly one
 * running copy (at the source, rolled back; or at the destination, migrated), making progress
 * with its RAM intact, nothing of it left where it does not run, and never two runners. No
 * copy at all is allowed only where a fault killed the one that held it (the destination
 * after cut-over): the loss is the fault's, and said so.
 */
export const V3_INV: Judge = (obs) => {
  const migration = requireMigration(obs);
  const name = obs.guest?.name;
  if (!name) throw new CannotJudge(`scenario '${obs.scenario.name}' recorded no guest identity`);
  if (!obs.settle)
    throw new CannotJudge(
      `scenario '${obs.scenario.name}' kept no settle watch: the end state is judged once things settled`,
    );
  const runners = MIG_08(obs);
  if (runners.verdict === 'fail') return fail(`two runners: ${runners.reason}`);
  const self = rolledBackByCutover(obs, obs.faults[0]?.t ?? migration.requestedAt);
  if (self) return self;
  const struck = obs.faults.length
    ? obs.faults.map((f) => `${f.kind} at ${f.placement} (${ms(f.t)})`).join(', ')
    : 'no fault struck';
  const after = obs.faults[0]?.t ?? migration.requestedAt;
  const hosts = { source: migration.from, destination: migration.to };
  const last = (host: string | undefined) => lastInventory(obs, host, after);
  const copies = (['source', 'destination'] as const).map((side) => {
    const inventory = last(hosts[side]);
    if (!inventory)
      throw new CannotJudge(
        `scenario '${obs.scenario.name}' lacks an inventory of ${hosts[side] ?? side} after the faults`,
      );
    return { side, entries: inventory.guests.filter((g) => g.name === name) };
  });
  const running = copies.filter((c) => c.entries.some((g) => RUNNING.test(g.state)));
  const status = migration.final?.status ?? statusSequence(obs).at(-1) ?? 'unknown';
  const said = `(${struck}; the migration ${status})`;
  if (running.length > 1) return fail(`two running copies, at ${hosts.source} and ${hosts.destination} ${said}`);
  const holder = running[0]?.side;
  if (!holder) {
    // Allowed only where the destination had taken the guest over (it ran) when it was killed:
    // before that, the source still holds the guest whole, and must get it back.
    // Ran before it died: the kill is struck when its moment is seen, and lands a little later.
    const ranAt =
      obs.events.find((e) => e.side === 'destination' && e.name === 'RESUME')?.t ?? obs.progress.destination.passes[0];
    const diedAt = obs.exits.destination?.t;
    const killedAfterCutover = obs.faults.find(
      (f) => f.kind === 'kill' && f.target.side === 'destination' && ranAt !== undefined && (diedAt ?? f.t) >= ranAt,
    );
    if (killedAfterCutover)
      return pass(
        `the guest was lost with its destination, killed after it had taken the guest over; no other copy ran ${said}`,
      );
    const held = copies
      .map((c) => `${hosts[c.side] ?? c.side}: ${c.entries.map((g) => g.state).join(', ') || 'nothing'}`)
      .join('; ');
    return fail(`no running copy of the guest anywhere (${held}): it was lost ${said}`);
  }
  const other = holder === 'source' ? 'destination' : 'source';
  const problems: string[] = [];
  const until = beforeMemoryCheck(obs, holder);
  const passes = passesBetween(obs, holder, Math.max(after, statusTime(obs, 'completed') ?? 0), until);
  if (passes < MIN_PROGRESS_PASSES) problems.push(`the ${holder} made only ${passes} passes`);
  const memory = obs.memory[holder];
  if (!memory) throw new CannotJudge(`scenario '${obs.scenario.name}' has no check-memory step for the ${holder}`);
  if (!memory.intact) problems.push(`${holder} RAM corrupt: ${memory.summary}`);
  // Rolled back: the destination keeps nothing. Migrated: the source may keep its definition (libvirt) or a paused QEMU (postmigrate), never a runner.
  const left = copies.find((c) => c.side === other)?.entries ?? [];
  if (holder === 'source' && left.length)
    problems.push(`${hosts.destination} still holds ${left.map((g) => `${g.name} (${g.state})`).join(', ')}`);
  const outcome =
    holder === 'source'
      ? 'rolled back: the guest runs on at the source'
      : 'migrated: the guest runs at the destination';
  if (problems.length) return fail(`${outcome}, but ${problems.join('; ')} ${said}`);
  return pass(`${outcome} (${passes} passes, RAM intact), nothing of it left elsewhere ${said}`, { passes });
};
