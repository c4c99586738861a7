import type { MigrationStatus, RunState, Side } from '../drivers/types.ts';
import { FINAL_STATUSES } from '../drivers/vocabulary.ts';
import { MAIN_GUEST } from '../observation/derive.ts';
import type { FaultRecord, Observation } from '../observation/types.ts';
import { CannotJudge, Failed, skipped, type Verdict } from './verdict.ts';

// Small questions judges ask of an observation, answered one way for every judge.

/** Transitional statuses QEMU may or may not pass through; they do not change the story. */
const FINAL: ReadonlySet<string> = new Set(FINAL_STATUSES);

const INCIDENTAL: ReadonlySet<MigrationStatus> = new Set(['device', 'pre-switchover', 'wait-unplug', 'cancelling']);

/** The source's MIGRATION statuses in order, repeats and incidental ones left out. */
export function statusSequence(obs: Observation, side: Side = 'source'): MigrationStatus[] {
  const seq: MigrationStatus[] = [];
  for (const e of obs.events) {
    if (e.side !== side || !e.migrationStatus || INCIDENTAL.has(e.migrationStatus)) continue;
    if (seq.at(-1) !== e.migrationStatus) seq.push(e.migrationStatus);
  }
  return seq;
}

/** The migration status of a side at time t: the last event before it. */
export function statusAt(obs: Observation, side: Side, t: number): MigrationStatus | undefined {
  return obs.events.filter((e) => e.side === side && e.migrationStatus && e.t <= t).at(-1)?.migrationStatus;
}

/** One guest's migration as its source saw it: asked for, first active, its job's end. */
export interface MigrationSpan {
  readonly guest: string;
  readonly from?: string;
  readonly to?: string;
  readonly requestedAt: number;
  readonly activeAt?: number;
  /** The last final status the source reported (a management job may outlive QEMU's 'completed'). */
  readonly endedAt?: number;
  /** The first final status the source reported. */
  readonly firstEndedAt?: number;
}

/** Every guest's migration, the main guest's first. */
export function allMigrations(obs: Observation): MigrationSpan[] {
  const guests = [
    { guest: 'main', migration: obs.migration, events: obs.events },
    ...Object.entries(obs.guests).map(([guest, g]) => ({ guest, migration: g.migration, events: g.events })),
  ];
  return guests.flatMap(({ guest, migration, events }) => {
    if (!migration) return [];
    const mine = events.filter((e) => e.side === 'source' && e.t >= migration.requestedAt);
    const activeAt = mine.find((e) => e.migrationStatus === 'active')?.t;
    const finals = mine.filter((e) => FINAL.has(e.migrationStatus ?? ''));
    const endedAt = finals.at(-1)?.t;
    const firstEndedAt = finals[0]?.t;
    return [
      {
        guest,
        requestedAt: migration.requestedAt,
        ...(migration.from !== undefined && { from: migration.from }),
        ...(migration.to !== undefined && { to: migration.to }),
        ...(activeAt !== undefined && { activeAt }),
        ...(endedAt !== undefined && { endedAt }),
        ...(firstEndedAt !== undefined && { firstEndedAt }),
      },
    ];
  });
}

export function statusTime(obs: Observation, status: MigrationStatus, side: Side = 'source'): number | undefined {
  return obs.events.find((e) => e.side === side && e.migrationStatus === status)?.t;
}

export function passesBetween(obs: Observation, side: Side, from: number, to = Infinity): number {
  return obs.progress[side].passes.filter((t) => t > from && t <= to).length;
}

/** The time the memory check began on a side (it pauses the guest), or the end. */
export function beforeMemoryCheck(obs: Observation, side: Side): number {
  return obs.memory[side]?.t ?? obs.durationMs;
}

/** Run states sampled on a side in [from, to). */
export function statesBetween(obs: Observation, side: Side, from: number, to: number): RunState[] {
  return obs.states.filter((s) => s.side === side && s.t >= from && s.t < to).map((s) => s.state);
}

/**
 * A side's memory check. A guest its implementation ended, or left unable to answer within the
 * check's bounds (a `stop` that never returns), fails the requirement; a check that met an
 * error answer cannot be judged (the error may be cutover's or the machine's as well).
 */
export function requireMemory(obs: Observation, side: Side) {
  const memory = obs.memory[side];
  if (memory) return memory;
  const exit = obs.exits[side];
  if (exit) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    throw new Failed(
      `the ${side} guest was gone before its memory could be read (its QEMU ended at ${ms(exit.t)}, ${how})`,
    );
  }
  const unanswered = obs.unanswered?.find(
    (u) => u.look === 'check-memory' && u.side === side && u.guest === MAIN_GUEST,
  );
  if (unanswered?.cause === 'deadline')
    throw new Failed(`the ${side} guest's memory could not be read: ${unanswered.detail} (at ${ms(unanswered.t)})`);
  if (unanswered) throw new CannotJudge(`the ${side} guest's memory could not be read: ${unanswered.detail}`);
  throw new CannotJudge(`scenario '${obs.scenario.name}' has no check-memory step for the ${side}`);
}

export function requireMigration(obs: Observation) {
  if (!obs.migration) throw new CannotJudge(`scenario '${obs.scenario.name}' never started a migration`);
  return obs.migration;
}

/** The watch after the end (the settle step) as MIG-08 needs it: long enough, before any memory check paused a guest. */
export type Watch =
  | { readonly held: true; readonly watchedMs: number; readonly boundMs: number; readonly words: string }
  | { readonly held: false; readonly why: string };

export function watchAfterEnd(obs: Observation): Watch {
  const settle = obs.settle;
  if (!settle)
    return {
      held: false,
      why: 'the scenario keeps no watch after the migration (a settle step): a copy resumed later would go unseen',
    };
  const checks = [
    ...Object.values(obs.memory).map((m) => m?.t ?? Infinity),
    ...Object.values(obs.guests).flatMap((g) => Object.values(g.memory ?? {}).map((m) => m?.t ?? Infinity)),
  ];
  const firstCheck = Math.min(Infinity, ...checks);
  if (firstCheck < settle.until)
    return {
      held: false,
      why: `a memory check paused a guest at ${ms(firstCheck)}, before the watch after the migration ended (${ms(settle.until)})`,
    };
  const watchedMs = settle.until - settle.from;
  if (settle.endedBy === 'bound' && watchedMs < settle.boundMs)
    return { held: false, why: `watched only ${ms(watchedMs)} after the end, short of ${settle.basis}` };
  const words =
    settle.endedBy === 'bound'
      ? `watched ${ms(watchedMs)} after the end (${settle.basis})`
      : `watched until one copy was left: ${settle.detail}`;
  return { held: true, watchedMs, boundMs: settle.boundMs, words };
}

/** Why the scenario stopped early, if a wait ran out: worth quoting in a failure. */
export function deadlineNote(obs: Observation): string {
  const late = obs.steps.find((s) => s.outcome !== 'ok');
  if (!late) return '';
  return late.outcome === 'deadline'
    ? ` (step ${late.index} ${late.do} ran out of time: ${late.detail ?? ''})`
    : ` (step ${late.index} ${late.do}: ${late.detail ?? ''})`;
}

export const ms = (t: number): string => `${t.toFixed(1)} ms`;

/**
 * What a management layer decides (when the source ends, what a failed upgrade leaves, which
 * identity a guest gets) is judged only on an implementation under test: on cutover's own
 * qemu driver the verdict would judge cutover itself, so it is skipped, saying so.
 */
export function selfJudged(obs: Observation, decision: string): Verdict | undefined {
  if (obs.driver.capabilities.includes('management-layer')) return undefined;
  return skipped(
    `${decision} is decided by the ${obs.driver.name} driver, which is cutover's own management code, not an implementation under test: judged on a management layer (--driver libvirt, or your own)`,
  );
}

/** The first fault of one of these kinds (on that side, when given) that struck. */
export function faultOf(
  obs: Observation,
  kinds: ReadonlyArray<string>,
  side: Side | undefined,
  what: string,
): FaultRecord {
  const fault = obs.faults.find((f) => kinds.includes(f.kind) && (side === undefined || f.target.side === side));
  if (!fault) throw new CannotJudge(`scenario '${obs.scenario.name}' never ${what}`);
  return fault;
}

/** The protocol phase a side was in at time t: the last one the implementation reported before it. */
export function phaseAt(obs: Observation, side: Side, t: number): string | undefined {
  return obs.events.filter((e) => e.side === side && e.phase !== undefined && e.t <= t).at(-1)?.phase;
}

/**
 * Wall time a busy machine may add between what a guest or daemon did and cutover seeing it
 * (event loops' lag, a signal's delivery): measured up to ~140 ms with two emulated families
 * at once on 2 cores. On a faster clock (`--time-scale`) it takes that many times more of
 * the run's milliseconds.
 */
export const WALL_LAG_MS = 200;

/** A judge's allowance on the observation's clock: as set for the wall clock, widened by what the lag becomes on a faster one. */
export function allowance(obs: Observation, wallClockMs: number): number {
  return wallClockMs + lagOnClock(obs);
}

/** What the machine's lag adds on the observation's clock beyond the wall clock's: 0 at its pace. */
export function lagOnClock(obs: Observation): number {
  return ((obs.timeScale ?? 1) - 1) * WALL_LAG_MS;
}
