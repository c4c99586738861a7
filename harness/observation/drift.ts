import type { Observation } from './types.ts';
import { SIDES, type Side } from '../drivers/vocabulary.ts';

// Where the emulated QEMU drifts from a real one on the same scenario: the order of what each
// side reported (migration statuses, STOP, RESUME, SPICE_MIGRATE_COMPLETED), how the
// migration ended, each side's last run state and how each QEMU ended. Timing and counts
// (MIGRATION_PASS, the number of passes) are left out: they differ between any two runs of
// real QEMU too.

const ORDERED_EVENTS = new Set(['MIGRATION', 'STOP', 'RESUME', 'SPICE_MIGRATE_COMPLETED']);

/** One side's reported sequence for the main guest, repeats folded: e.g. ['setup', 'active', 'STOP', 'completed']. */
export function sideSequence(obs: Observation, side: Side): string[] {
  const main = obs.guest?.name;
  const words = obs.events
    .filter(
      (e) =>
        e.side === side &&
        ORDERED_EVENTS.has(e.name) &&
        (main === undefined || e.guest === undefined || e.guest === main),
    )
    .map((e) => e.migrationStatus ?? e.name);
  return words.filter((w, i) => w !== words[i - 1]);
}

/** What differs between a real run and an emulated run of one scenario; empty when they agree. */
export function drift(real: Observation, emulated: Observation): string[] {
  const found: string[] = [];
  for (const side of SIDES) {
    const a = sideSequence(real, side).join(' -> ');
    const b = sideSequence(emulated, side).join(' -> ');
    if (a !== b) found.push(`${side} events: real ${a || 'none'}; emulated ${b || 'none'}`);
    const lastState = (obs: Observation): string | undefined => obs.states.filter((s) => s.side === side).at(-1)?.state;
    if (lastState(real) !== lastState(emulated))
      found.push(`${side} last run state: real ${lastState(real)}; emulated ${lastState(emulated)}`);
    const ending = (obs: Observation): string => {
      const exit = obs.exits[side];
      return exit ? (exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`) : 'running at the end';
    };
    if (ending(real) !== ending(emulated))
      found.push(`${side} QEMU: real ${ending(real)}; emulated ${ending(emulated)}`);
  }
  const final = (obs: Observation): string => obs.migration?.final?.status ?? 'none';
  if (final(real) !== final(emulated)) found.push(`final status: real ${final(real)}; emulated ${final(emulated)}`);
  return found;
}
