import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { EMULATED_BUGS, EMULATED_BUG_IDS } from '../hosts/emulated/bugs.ts';
import { readCertificate } from '../reporting/baseline.ts';
import {
  matrixProblems,
  matrixTable,
  mutationMatrix,
  type PlayedResult,
  type TargetRuns,
} from '../reporting/mutation-matrix.ts';
import { openRunFolder } from '../reporting/run-folder.ts';
import { CUTOVER_COULD_NOT_RUN } from '../reporting/result.ts';
import { runCommand } from '../util/command.ts';
import { PROJECT_ROOT } from './project.ts';
import { say } from './options.ts';
import { selectRequirements } from './select.ts';
import { inParallel } from '../util/parallel.ts';

export interface MutantsOptions {
  readonly family: string[];
  readonly requirement: string[];
  readonly concurrency: number;
  readonly out: string;
  /** Passed to every run: families side by side, each with its requirements at once. */
  readonly jobs?: number;
  /** Passed to every run: the runs' clock, this many times the wall clock's. */
  readonly timeScale?: number;
  /** Each variant against each requirement on one driver only (the first whose correct run passed it). */
  readonly eachOnce?: boolean;
}

const CLI = join(PROJECT_ROOT, 'bin', 'cutover.mjs');
/** One run's bound: the longest scenario on the emulator waits ~130 s for the kernel's SYN retries. */
const RUN_TIMEOUT_MS = 20 * 60_000;

/**
 * `cutover mutants`: the suites on the correct emulated target, then on each bug variant
 * (only the requirements it declares it breaks), and the matrix of what killed what.
 * Exit 1 when a requirement survived every variant or fails on the correct target.
 */
export async function mutantsCommand(options: MutantsOptions): Promise<number> {
  const selection = selectRequirements(PROJECT_ROOT, options.family, options.requirement);
  const ids = new Set(selection.requirements.map((r) => r.id));
  const jobs = options.jobs ?? 1;
  const timeScale = options.timeScale ?? 1;
  const folder = await openRunFolder(options.out);
  say(
    `mutation matrix: ${ids.size} requirement(s) on the emulated target (drivers ${EMULATED_TARGETS.join(', ')}), ${options.concurrency} run(s) at a time${jobs > 1 ? `, ${jobs} jobs each` : ''}${timeScale > 1 ? `, clock x${timeScale}` : ''}`,
  );
  say(`writing to ${relative(process.cwd(), folder.path) || folder.path}`);
  const results = new Map<string, PlayedResult[]>();
  const key = (driver: string, variant: string): string => `${driver}/${variant}`;
  const play = async ({ driver, variant, requirements }: Play, attempt = 1): Promise<void> => {
    const out = join(folder.path, driver, attempt === 1 ? variant : `${variant}.${attempt}`);
    const started = performance.now();
    // A second attempt's results take the place of the first's for the requirements it played.
    const record = (played: PlayedResult[]): void => {
      const earlier = results.get(key(driver, variant)) ?? [];
      results.set(key(driver, variant), [...earlier.filter((r) => !requirements.includes(r.id)), ...played]);
    };
    const run = await runCommand(
      [
        process.execPath,
        CLI,
        'run',
        '--hosts',
        'emulated',
        '--driver',
        driver,
        '--out',
        out,
        '--requirement',
        requirements.join(','),
        ...(variant === 'correct' ? [] : ['--bug', variant]),
        // The matrix reads certificates; the Allure HTML would cost each run ~4 s of Java's CPU.
        '--no-html',
        ...(jobs > 1 ? ['--jobs', String(jobs)] : []),
        ...(timeScale > 1 ? ['--time-scale', String(timeScale)] : []),
      ],
      { timeoutMs: RUN_TIMEOUT_MS, cwd: PROJECT_ROOT },
    );
    const certificate = await readCertificate(join(out, 'latest', 'certificate.json')).catch(() => undefined);
    if (!certificate) {
      say(
        `${key(driver, variant)}: no certificate (exit ${run.code}${run.timedOut ? ', timed out' : ''}): ${run.output.trim().split('\n').slice(-3).join(' | ')}`,
      );
      record(
        requirements.map((id) => ({ id, verdict: 'error', reason: `cutover run ${variant} wrote no certificate` })),
      );
      return;
    }
    const played = certificate.results.map((r) => ({ id: r.id, verdict: r.verdict, reason: r.reason }));
    record(played);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    say(
      `${key(driver, variant)}${attempt > 1 ? ` (again)` : ''} (${seconds} s): ${variant === 'correct' ? summaryOf(played) : played.map((r) => `${r.id} ${r.verdict}`).join(', ')}`,
    );
    // A scenario cutover itself could not run judges nothing of the variant: played once more.
    const unplayed = played.filter((r) => r.verdict === 'error' && r.reason.startsWith(CUTOVER_COULD_NOT_RUN));
    if (attempt === 1 && unplayed.length) {
      say(
        `${key(driver, variant)}: cutover could not run ${unplayed.map((r) => `${r.id} (${r.reason})`).join('; ')}; once more`,
      );
      await play({ driver, variant, requirements: unplayed.map((r) => r.id) }, 2);
    }
  };
  // First the correct runs (every requirement), each driver's. On a faster clock one at a
  // time: the machine's lag counts that many times over there, and their verdicts are what the
  // matrix trusts (a variant need only fail); the runs are CPU-bound, so little wall time is lost.
  await inParallel(
    EMULATED_TARGETS.map((driver) => ({ driver, variant: 'correct', requirements: [...ids] })),
    timeScale > 1 ? 1 : options.concurrency,
    play,
  );
  const passedOn = (driver: EmulatedTarget): ReadonlySet<string> =>
    new Set((results.get(key(driver, 'correct')) ?? []).filter((r) => r.verdict === 'pass').map((r) => r.id));
  const plan = variantPlays(ids, passedOn, options.eachOnce ?? false);
  say(
    `${plan.plays.length} variant runs${plan.left.length ? `; not played, as nothing they break passes on the correct target there${options.eachOnce ? ' or on a driver before it' : ''}: ${plan.left.map((p) => key(p.driver, p.variant)).join(', ')}` : ''}`,
  );
  await inParallel(plan.plays, options.concurrency, play);
  const targets: TargetRuns[] = EMULATED_TARGETS.map((driver) => ({
    target: driver,
    correct: results.get(key(driver, 'correct')) ?? [],
    variants: plan.plays
      .filter((p) => p.driver === driver)
      .map((p) => ({ variant: p.variant, results: results.get(key(driver, p.variant)) ?? [] })),
  }));
  const rows = mutationMatrix(targets);
  const table = matrixTable(rows);
  const problems = matrixProblems(rows);
  for (const line of table) say(line);
  for (const problem of problems) say(`PROBLEM ${problem}`);
  await writeFile(
    join(folder.path, 'mutation-matrix.txt'),
    `${table.join('\n')}\n${problems.map((p) => `PROBLEM ${p}\n`).join('')}`,
  );
  await writeFile(
    join(folder.path, 'mutation-matrix.json'),
    `${JSON.stringify(
      rows.map((r) => ({
        id: r.requirement.id,
        correct: r.correct,
        on: r.target,
        state: r.state,
        killedBy: r.killedBy,
        survivedBy: r.survivedBy,
      })),
      null,
      2,
    )}\n`,
  );
  const final = await folder.finish();
  say(`matrix: ${relative(process.cwd(), join(final, 'mutation-matrix.txt'))}`);
  return problems.length ? 1 : 0;
}

/** The drivers of the emulated target: cutover's qemu driver over the emulated QEMU, and the emulated daemon's. */
const EMULATED_TARGETS = ['qemu', 'emulated'] as const;
type EmulatedTarget = (typeof EMULATED_TARGETS)[number];

/** One `cutover run` of the matrix: a driver, the correct target or a bug variant, the requirements played. */
interface Play {
  readonly driver: EmulatedTarget;
  readonly variant: string;
  readonly requirements: ReadonlyArray<string>;
}

/**
 * The variant runs: the emulated QEMU's bugs under both drivers, the emulated daemon's under
 * the emulated driver alone, each against the requirements it declares it breaks that passed
 * on that driver's correct run (a variant counts only where the correct target passed: any
 * other play would decide nothing). With `eachOnce`, a variant plays a requirement on the
 * first driver that passed it only (qemu, then emulated), not on both.
 */
export function variantPlays(
  ids: ReadonlySet<string>,
  passedOn: (driver: EmulatedTarget) => ReadonlySet<string>,
  eachOnce: boolean,
): { plays: Play[]; left: Play[] } {
  const claimed = new Set<string>();
  const all = EMULATED_TARGETS.flatMap((driver) =>
    EMULATED_BUG_IDS.filter((bug) => driver === 'emulated' || !('in' in EMULATED_BUGS[bug])).map((bug) => {
      const breaks = EMULATED_BUGS[bug].breaks.filter((id) => ids.has(id));
      const requirements = breaks.filter(
        (id) => passedOn(driver).has(id) && !(eachOnce && claimed.has(`${bug} ${id}`)),
      );
      for (const id of requirements) claimed.add(`${bug} ${id}`);
      return { play: { driver, variant: bug, requirements }, selected: breaks.length > 0 };
    }),
  ).filter((p) => p.selected);
  return {
    plays: all.filter((p) => p.play.requirements.length > 0).map((p) => p.play),
    left: all.filter((p) => p.play.requirements.length === 0).map((p) => p.play),
  };
}

const summaryOf = (played: ReadonlyArray<PlayedResult>): string =>
  [...new Set(played.map((r) => r.verdict))]
    .map((v) => `${played.filter((r) => r.verdict === v).length} ${v}`)
    .join(', ');

/** `cutover mutants --list`: each variant, the requirements it breaks, what it does. */
export function variantLines(): string[] {
  return EMULATED_BUG_IDS.map((id) => `${id}\t${EMULATED_BUGS[id].breaks.join(',')}\t${EMULATED_BUGS[id].does}`);
}
