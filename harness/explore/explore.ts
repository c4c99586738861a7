import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { judgeRequirement, type Judgement } from '../judging/index.ts';
import type { Observation } from '../observation/types.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { parseScenario } from '../scenario/load.ts';
import type { Session } from '../session/index.ts';
import { formatMs } from '../util/deadline.ts';
import { inParallel } from '../util/parallel.ts';
import { composeScenario, derivedName } from './compose.ts';
import { describeSchedule, scheduleArbitrary, type ExploreTarget, type Schedule } from './schedule.ts';

// Generated fault schedules played on real hosts, judged, and the failing ones shrunk by
// fast-check to the fewest, earliest faults that still fail. Every schedule played is a
// scenario file in the run folder (schedules/), so any of them replays alone with
// `cutover scenario`; a failure found is also written as failing-<n>.yaml with its seed and
// the command that replays it.
//
// With jobs > 1 (hosts that are cheap to run side by side: the emulated ones), the schedules
// fast-check will ask for are drawn ahead from the same seed and played that many at once;
// the property then finds its schedule's result waiting. fast-check still runs, counts and
// shrinks as if alone: a schedule it asks for that was not drawn ahead is played then.
// With --jobs, generation is unbiased: only then do fc.sample and fc.check draw the same
// values in the same order from one seed (draw-ahead.test.ts). So a seed names one sequence
// of schedules with --jobs and another without; what a schedule file records says which.

export interface ExploreOptions {
  /** The base scenario's text and path (for messages). */
  readonly base: { readonly text: string; readonly file: string };
  readonly target: ExploreTarget;
  readonly session: Session;
  /** The run's folder: schedules/ and failing-*.yaml go there. */
  readonly runDir: string;
  /** What the run's folder will be called once finished: for the paths written into files and printed. */
  readonly finalDir: string;
  readonly runs: number;
  readonly seed: number;
  readonly budgetMs: number;
  /** After a failure is shrunk: look on with the next seed (true) or stop (false). */
  readonly keepGoing: boolean;
  /** How to replay a written file: the command line without the file. */
  readonly replay: string;
  readonly progress: (line: string) => void;
  readonly clock?: () => number;
  /** Schedules played at once (default 1). */
  readonly jobs?: number;
}

export interface PlayedSchedule {
  readonly n: number;
  readonly file: string;
  readonly schedule: Schedule;
  readonly judgements: ReadonlyArray<{ readonly id: string; readonly judgement: Judgement }>;
  readonly failed: boolean;
  readonly durationMs: number;
  readonly shrinking: boolean;
}

export interface FoundFailure {
  readonly file: string;
  readonly seed: number;
  readonly schedule: Schedule;
  readonly reason: string;
}

export interface ExploreResult {
  readonly played: ReadonlyArray<PlayedSchedule>;
  readonly failures: ReadonlyArray<FoundFailure>;
  readonly elapsedMs: number;
  /** Whether the budget ran out before the runs asked for were played. */
  readonly outOfBudget: boolean;
}

export async function explore(options: ExploreOptions): Promise<ExploreResult> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const left = (): number => options.budgetMs - (clock() - started);
  const knownRequirement = (id: string): boolean => findRequirement(id) !== undefined;
  const base = parseScenario(options.base.text, options.base.file, knownRequirement);
  const judges = base.scenario.judges;
  await mkdir(join(options.runDir, 'schedules'), { recursive: true });
  const played: PlayedSchedule[] = [];
  const failures: FoundFailure[] = [];
  let counted = 0; // schedules of the runs asked for (shrinking replays are not counted)
  let outOfBudget = false;

  const unbiased = (options.jobs ?? 1) > 1;
  const jobsFlag = unbiased ? ` --jobs ${options.jobs}` : '';
  let numbered = 0;
  const play = async (schedule: Schedule, seed: number, shrinking: boolean): Promise<PlayedSchedule> => {
    const n = ++numbered;
    const name = derivedName(base.scenario.name, `schedule-${n}`);
    const text = composeScenario(options.base.text, schedule, {
      name,
      provenance: `Schedule ${n} of cutover explore --seed ${seed}${jobsFlag}`,
    });
    const file = join(options.runDir, 'schedules', `${name}.yaml`);
    await writeFile(file, text);
    const t0 = clock();
    const observation: Observation = await options.session.play(parseScenario(text, file, knownRequirement), name);
    const judgements = judges.map((id) => ({ id, judgement: judgeRequirement(id, [observation]) }));
    const failed = judgements.some((j) => j.judgement.verdict === 'fail');
    const result = { n, file, schedule, judgements, failed, durationMs: clock() - t0, shrinking };
    played.push(result);
    if (!shrinking) counted++;
    const verdicts = judgements.map((j) => `${j.judgement.verdict.toUpperCase()} ${j.id}`).join(', ');
    const where = shrinking ? 'shrinking' : `${counted}/${options.runs}`;
    options.progress(
      `[${where}] ${describeSchedule(schedule)} -> ${verdicts} (${formatMs(result.durationMs)}) · ${failures.length + (failed ? 1 : 0)} failing found · ${formatMs(Math.max(0, left()))} of the budget left`,
    );
    if (failed)
      for (const j of judgements.filter((x) => x.judgement.verdict === 'fail'))
        options.progress(`    ${j.id}: ${j.judgement.reason}`);
    return result;
  };

  let seed = options.seed;
  const inFlight: Array<Promise<unknown>> = [];
  while (counted < options.runs && left() > 0) {
    let failing: PlayedSchedule | undefined;
    // Each schedule is played once: by the property, or ahead of it.
    const ahead = new Map<string, Promise<PlayedSchedule>>();
    const resultOf = (schedule: Schedule): Promise<PlayedSchedule> => {
      const key = JSON.stringify(schedule);
      const known = ahead.get(key) ?? play(schedule, seed, failing !== undefined);
      ahead.set(key, known);
      return known;
    };
    const property = fc.asyncProperty(scheduleArbitrary(options.target), async (schedule) => {
      const result = await resultOf(schedule);
      if (result.failed) failing = result;
      return !result.failed;
    });
    if ((options.jobs ?? 1) > 1) {
      const drawn = fc
        .sample(property, { seed, numRuns: options.runs - counted, unbiased })
        .map(([schedule]) => schedule);
      inFlight.push(
        inParallel(drawn, options.jobs ?? 1, async (schedule) => {
          if (failing !== undefined || left() <= 0) return;
          await resultOf(schedule).catch(() => undefined);
        }),
      );
    }
    const outcome = await fc.check(property, {
      numRuns: options.runs - counted,
      seed,
      unbiased,
      interruptAfterTimeLimit: Math.max(1, left()),
      markInterruptAsFailure: false,
    });
    if (outcome.interrupted) outOfBudget = true;
    if (!outcome.failed || !outcome.counterexample) break;
    const [smallest] = outcome.counterexample;
    // The shrunk schedule was the last failing play; its file is copied as the finding.
    const last = [...played]
      .reverse()
      .find((p) => p.failed && describeSchedule(p.schedule) === describeSchedule(smallest));
    const reason =
      last?.judgements
        .filter((j) => j.judgement.verdict === 'fail')
        .map((j) => `${j.id}: ${j.judgement.reason}`)
        .join(' | ') ?? 'failed';
    const name = `failing-${failures.length + 1}.yaml`;
    const file = join(options.finalDir, name);
    const text = composeScenario(options.base.text, smallest, {
      name: derivedName(base.scenario.name, `failing-${failures.length + 1}`),
      provenance: `Found by cutover explore --seed ${seed}${jobsFlag} (fast-check path ${outcome.counterexamplePath ?? '?'}), shrunk to ${smallest.length} fault(s); replay: ${options.replay} ${file}`,
    });
    await writeFile(join(options.runDir, name), text);
    failures.push({ file, seed, schedule: smallest, reason });
    options.progress(
      `failing schedule (shrunk to ${smallest.length} fault${smallest.length > 1 ? 's' : ''}): ${describeSchedule(smallest)}\n    ${reason}\n    replay: ${options.replay} ${file}`,
    );
    if (!options.keepGoing) break;
    seed++;
  }
  await Promise.all(inFlight); // no play may outlive the session
  if (left() <= 0 && counted < options.runs) outOfBudget = true;
  return { played, failures, elapsedMs: clock() - started, outOfBudget };
}
