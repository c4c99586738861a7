import type { z } from 'zod';
import { awaitDeadlock } from './await-deadlock.ts';
import { cancel } from './cancel.ts';
import { checkDisk } from './check-disk.ts';
import { checkMemory } from './check-memory.ts';
import { fault } from './fault.ts';
import { inventory } from './inventory.ts';
import { migrate } from './migrate.ts';
import { observe } from './observe.ts';
import { probeCalls } from './probe-calls.ts';
import { querySpice } from './query-spice.ts';
import { recover } from './recover.ts';
import { settle } from './settle.ts';
import { spiceClient } from './spice-client.ts';
import { start } from './start.ts';
import { startPostcopy } from './start-postcopy.ts';
import type { StepKind } from './step.ts';
import { waitEvent } from './wait-event.ts';
import { waitExit } from './wait-exit.ts';
import { waitMigration } from './wait-migration.ts';
import { waitProgress } from './wait-progress.ts';
import { watchDaemons } from './watch-daemons.ts';

/** Every step kind a scenario may use: a new kind is a file beside these and one line here. */
export const STEPS = [
  start,
  waitProgress,
  observe,
  settle,
  checkMemory,
  checkDisk,
  waitEvent,
  waitExit,
  migrate,
  waitMigration,
  cancel,
  startPostcopy,
  recover,
  fault,
  watchDaemons,
  awaitDeadlock,
  probeCalls,
  inventory,
  spiceClient,
  querySpice,
] as const;

export type Step = z.output<(typeof STEPS)[number]['schema']>;
export type StepOf<K extends Step['do']> = Extract<Step, { do: K }>;

const BY_KIND: ReadonlyMap<string, StepKind> = new Map(
  STEPS.map((s) => [kindOf(s as unknown as StepKind), s as unknown as StepKind]),
);

/** The step kind of a parsed step. */
export function stepKind(step: { do: string }): StepKind {
  const kind = BY_KIND.get(step.do);
  if (!kind) throw new Error(`no step kind '${step.do}'`);
  return kind;
}

/** A step kind's `do` value, read from its schema's literal. */
function kindOf(kind: StepKind): string {
  const shape = kind.schema as unknown as {
    shape?: { do?: { value?: string } };
    options?: Array<{ shape: { do: { value: string } } }>;
  };
  return shape.shape?.do?.value ?? shape.options?.[0]?.shape.do.value ?? '';
}

export { ScenarioIssue, ScenarioScope, type StepKind } from './step.ts';
export { makeRunContext, sampleStates, type GuestRun, type RunContext } from './context.ts';
