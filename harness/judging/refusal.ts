import type { InventoryEntry } from '../drivers/types.ts';
import type { GuestObservation, InventorySample, Observation } from '../observation/types.ts';
import {
  allowance,
  beforeMemoryCheck,
  deadlineNote,
  ms,
  passesBetween,
  requireMemory,
  statesBetween,
} from './facts.ts';
import { MIN_PROGRESS_PASSES } from './mig.ts';
import { CannotJudge, fail, pass, type Verdict } from './verdict.ts';

// A migration the management layer must refuse (same host, identity clash) is judged on
// three things: the error says why, the guest still runs at the source with RAM intact, and
// the destination holds nothing it did not hold before. Guests the scenario started beside
// it (the clashing one) must be untouched too.

export interface Refusal {
  /** What the error must say, e.g. /same host/i. */
  readonly why: RegExp;
  /** The words the requirement expects, for the verdict. */
  readonly says: string;
  /** "Refused at once": the job ended within this. */
  readonly boundMs: number;
  /** The clash the error must name (the UUID, the name, the host UUID), when the scenario knows it. */
  readonly names?: (obs: Observation) => { readonly what: string; readonly text: string } | undefined;
}

const entryKey = (e: InventoryEntry): string => `${e.name}|${e.uuid ?? ''}|${e.state}`;

/** The destination host's first inventory before the migration and its last one after. */
function inventories(
  obs: Observation,
  host: string,
  at: number,
): { before?: InventorySample; after?: InventorySample } {
  const mine = (obs.inventories ?? []).filter((i) => i.host === host);
  return { before: mine.filter((i) => i.t <= at).at(-1), after: mine.filter((i) => i.t > at).at(-1) };
}

/** Guests besides the main one that must go on as they were (the clashing guest). */
function bystandersStopped(obs: Observation, from: number): string[] {
  const stopped: string[] = [];
  for (const [key, guest] of Object.entries(obs.guests) as Array<[string, GuestObservation]>) {
    if (guest.migration) continue;
    const after = guest.progress.source.passes.filter((t) => t > from).length;
    if (after < MIN_PROGRESS_PASSES) stopped.push(`${key} (${after} passes after the refusal)`);
  }
  return stopped;
}

export function judgeRefusal(obs: Observation, refusal: Refusal): Verdict {
  const migration = obs.migration;
  if (!migration?.to) throw new CannotJudge(`scenario '${obs.scenario.name}' never started a migration`);
  const lastStep = obs.steps.at(-1)?.endedAt ?? obs.durationMs;
  const end = obs.events.find(
    (e) =>
      e.side === 'source' &&
      e.t >= migration.requestedAt &&
      e.t <= lastStep &&
      ['failed', 'cancelled', 'completed'].includes(e.migrationStatus ?? ''),
  );
  if (!end) return fail(`not refused: the migration never ended${deadlineNote(obs)}`);
  const refusalMs = end.t - migration.requestedAt;
  const error = migration.final?.errorDesc?.trim() ?? '';
  const measurements: Record<string, number> = { refusalMs: Math.round(refusalMs) };
  if (end.migrationStatus === 'completed')
    return fail(`not refused: the migration to ${migration.to} was carried out`, measurements);
  const bound = allowance(obs, refusal.boundMs);
  if (refusalMs > bound)
    return fail(`refused only after ${ms(refusalMs)} (bound ${bound} ms): "${error}"`, measurements);
  if (!refusal.why.test(error))
    return fail(`refused, but the error does not say ${refusal.says}: "${error || '(no error text)'}"`, measurements);
  // Any quick error would otherwise do: the refusal must name what clashed.
  const clash = refusal.names?.(obs);
  if (clash && !error.toLowerCase().includes(clash.text.toLowerCase()))
    return fail(`refused, but the error does not name ${clash.what} (${clash.text}): "${error}"`, measurements);

  const until = beforeMemoryCheck(obs, 'source');
  const after = passesBetween(obs, 'source', end.t, until);
  const state = statesBetween(obs, 'source', end.t, until).at(-1);
  measurements.sourcePassesAfter = after;
  if (after < MIN_PROGRESS_PASSES || state !== 'running')
    return fail(
      `after the refusal the guest made ${after} passes at the source and is '${state ?? 'unsampled'}'`,
      measurements,
    );
  const memory = requireMemory(obs, 'source');
  if (!memory.intact) return fail(`source RAM corrupt after the refusal: ${memory.summary}`, measurements);

  const { before, after: later } = inventories(obs, migration.to, migration.requestedAt);
  if (!before || !later)
    throw new CannotJudge(
      `scenario '${obs.scenario.name}' lacks an inventory of ${migration.to} before and after the migration`,
    );
  const had = new Set(before.guests.map(entryKey));
  const added = later.guests.filter((g) => !had.has(entryKey(g)));
  measurements.guestsAddedAtDestination = added.length;
  if (added.length)
    return fail(
      `the destination ${migration.to} holds what it did not before: ${added.map((g) => `${g.name} (${g.state})`).join(', ')}`,
      measurements,
    );
  const stopped = bystandersStopped(obs, end.t);
  if (stopped.length)
    return fail(`the guest already on the destination was disturbed: ${stopped.join(', ')}`, measurements);
  return pass(
    `refused in ${ms(refusalMs)} with "${error}"; the guest runs on at the source (${after} passes, RAM intact); ${migration.to} holds what it held before`,
    measurements,
  );
}
