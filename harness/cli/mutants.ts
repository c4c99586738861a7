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
  // Each driver of the emulated target plays the correct run and its variants: the emulated
  // QEMU's bugs under both drivers, the emulated daemon's only under the emulated driver.
  // The correct runs are the longest (every requirement): they go first.
  const plays = [
    ...EMULATED_TARGETS.map((driver) => ({ driver, variant: 'correct', requirements: [...ids] })),
    ...EMULATED_TARGETS.flatMap((driver) =>
      EMULATED_BUG_IDS.filter((bug) => driver === 'emulated' || !('in' in EMULATED_BUGS[bug]))
        .map((bug) => ({ driver, variant: bug, requirements: EMULATED_BUGS[bug].breaks.filter((id) => ids.has(id)) }))
        .filter((p) => p.requirements.length > 0),
    ),
  ];
  say(
    `mutation matrix: ${ids.size} requirement(s), ${plays.length} runs on the emulated target (drivers ${EMULATED_TARGETS.join(', ')}), ${options.concurrency} at a time${jobs > 1 ? `, ${jobs} jobs each` : ''}${timeScale > 1 ? `, clock x${timeScale}` : ''}`,
  );
  say(`writing to ${relative(process.cwd(), folder.path) || folder.path}`);
  const results = new Map<string, PlayedResult[]>();
  const key = (driver: string, variant: string): string => `${driver}/${variant}`;
  await inParallel(plays, options.concurrency, async ({ driver, variant, requirements }) => {
    const out = join(folder.path, driver, variant);
    const started = performance.now();
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
      results.set(
        key(driver, variant),
        requirements.map((id) => ({ id, verdict: 'error', reason: `cutover run ${variant} wrote no certificate` })),
      );
      return;
    }
    const played = certificate.results.map((r) => ({ id: r.id, verdict: r.verdict, reason: r.reason }));
    results.set(key(driver, variant), played);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    say(
      `${key(driver, variant)} (${seconds} s): ${variant === 'correct' ? summaryOf(played) : played.map((r) => `${r.id} ${r.verdict}`).join(', ')}`,
    );
  });
  const targets: TargetRuns[] = EMULATED_TARGETS.map((driver) => ({
    target: driver,
    correct: results.get(key(driver, 'correct')) ?? [],
    variants: plays
      .filter((p) => p.driver === driver && p.variant !== 'correct')
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

const summaryOf = (played: ReadonlyArray<PlayedResult>): string =>
  [...new Set(played.map((r) => r.verdict))]
    .map((v) => `${played.filter((r) => r.verdict === v).length} ${v}`)
    .join(', ');

/** Runs `work` over items, at most `limit` at once. */
export function variantLines(): string[] {
  return EMULATED_BUG_IDS.map((id) => `${id}\t${EMULATED_BUGS[id].breaks.join(',')}\t${EMULATED_BUGS[id].does}`);
}
