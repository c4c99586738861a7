import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import type { Capability } from '../drivers/vocabulary.ts';
import { composeScenario, derivedName } from '../explore/compose.ts';
import { fixedSchedules } from '../explore/schedule.ts';
import { NotApplicable, withdraw } from '../explore/withdrawals.ts';
import { judgeRequirement, type Judgement } from '../judging/index.ts';
import type { Observation } from '../observation/types.ts';
import { cellOf, premiseProblems, premiseTable, type PremiseRow } from '../reporting/premise-matrix.ts';
import { openRunFolder } from '../reporting/run-folder.ts';
import { findRequirement, type Requirement } from '../requirements/catalog.ts';
import { parseScenario } from '../scenario/load.ts';
import { openSession, preflight } from '../session/index.ts';
import { collectPlans, type Plan } from '../suite/verify.ts';
import { TIME_SCALE_ENV, timeScale } from '../util/clock.ts';
import { runCommand } from '../util/command.ts';
import { inParallel } from '../util/parallel.ts';
import { say } from './options.ts';
import { PROJECT_ROOT } from './project.ts';
import { selectRequirements } from './select.ts';

// `cutover premises`: the premise matrix. Every requirement on the correct emulated target
// (it must pass), then with each premise it declares taken away (explore/withdrawals.ts): it
// must not pass. The scenarios play in this process, several at once, on the run's clock: the
// command runs itself again with that clock when it was started on another.

export interface PremisesOptions {
  readonly family: string[];
  readonly requirement: string[];
  readonly concurrency: number;
  readonly timeScale: number;
  readonly out: string;
}

const CLI = join(PROJECT_ROOT, 'bin', 'cutover.mjs');
/** The command again on the asked-for clock: the clock is read from the environment when cutover starts. */
const REEXEC_TIMEOUT_MS = 60 * 60_000;
/** The drivers of the emulated target, in the order a requirement's home is looked for. */
const DRIVERS = ['emulated', 'qemu'] as const;
type Driver = (typeof DRIVERS)[number];

/** A scenario as played for a requirement: its text, and a label for the verdict. */
interface Source {
  readonly label: string;
  readonly text: string;
}

export async function premisesCommand(options: PremisesOptions): Promise<number> {
  if (options.timeScale !== timeScale) return onClock(options);
  const selection = selectRequirements(PROJECT_ROOT, options.family, options.requirement);
  const plans = await suitePlans(selection.suiteFiles);
  const folder = await openRunFolder(options.out);
  const targets = new Map<Driver, Awaited<ReturnType<typeof preflight>>>();
  for (const driver of DRIVERS)
    targets.set(
      driver,
      await preflight({ driver, hosts: { kind: 'emulated', image: 'bookworm', bugs: [] } }, () => {}),
    );
  const sourcesOf = async (plan: Plan, driver: Driver): Promise<Source[]> => {
    const target = targets.get(driver);
    return Promise.all(
      plan.scenarios.map(async (file) => {
        const text = await readFile(join(PROJECT_ROOT, 'scenarios', file), 'utf8');
        if (!plan.explore || !target) return { label: file, text };
        // A fixed exploration: its first schedule, composed as the suite does.
        const schedule = fixedSchedules(
          {
            capabilities: new Set(target.capabilities as Capability[]),
            hostFeatures: new Set(target.hostFeatures),
            ...(target.phases && { phases: target.phases }),
          },
          plan.explore.seed,
          1,
        )[0];
        if (!schedule) return { label: file, text };
        const name = derivedName(String(parseDocument(text).get('name')), `seed-${plan.explore.seed}-1`);
        return {
          label: `${file} (schedule 1 of seed ${plan.explore.seed})`,
          text: composeScenario(text, schedule, { name, provenance: 'The premise matrix: the first schedule' }),
        };
      }),
    );
  };
  const judged = selection.judged.filter((r) => plans.has(r.id) && r.premises.length > 0);
  say(
    `premise matrix: ${judged.length} requirement(s), ${judged.reduce((n, r) => n + r.premises.length, 0)} premises withdrawn, on the emulated target (clock x${options.timeScale}), ${options.concurrency} plays at a time`,
  );
  say(`writing to ${relative(process.cwd(), folder.path) || folder.path}`);

  const plays = new Map<string, Promise<Observation | { error: string }>>();
  let played = 0;
  const play = (
    driver: Driver,
    text: string,
    switches: ReadonlyArray<string>,
  ): Promise<Observation | { error: string }> => {
    const key = `${driver}-${hash(`${switches.join(',')}\n${text}`)}`;
    let pending = plays.get(key);
    if (!pending) {
      pending = playOnce(join(folder.path, 'plays', key), driver, text, switches).then((r) => {
        played++;
        return r;
      });
      plays.set(key, pending);
    }
    return pending;
  };
  const judgeOn = async (
    requirement: Requirement,
    driver: Driver,
    sources: ReadonlyArray<Source>,
    switches: ReadonlyArray<string> = [],
  ): Promise<Judgement | { error: string }> => {
    const observed = await Promise.all(sources.map((s) => play(driver, s.text, switches)));
    const broken = observed.find((o): o is { error: string } => 'error' in o);
    if (broken) return broken;
    return judgeRequirement(requirement.id, observed as Observation[]);
  };

  // The correct target first: a requirement's home is the first driver that passes it.
  const rows = new Map<string, PremiseRow>();
  const homes = new Map<string, Driver>();
  await inParallel(judged, options.concurrency, async (requirement) => {
    const plan = plans.get(requirement.id) as Plan;
    let correct: PremiseRow['correct'] = { verdict: 'not-played', reason: 'no emulated driver plays it' };
    for (const driver of DRIVERS) {
      const result = await judgeOn(requirement, driver, await sourcesOf(plan, driver));
      const verdict = 'error' in result ? { verdict: 'error' as const, reason: result.error } : result;
      if (correct.verdict === 'not-played' || verdict.verdict === 'pass')
        correct = { verdict: verdict.verdict, reason: verdict.reason };
      if (verdict.verdict === 'pass') {
        homes.set(requirement.id, driver);
        break;
      }
    }
    say(
      `correct ${requirement.id}: ${correct.verdict}${homes.has(requirement.id) ? ` on ${homes.get(requirement.id)}` : `: ${correct.reason}`}`,
    );
    rows.set(requirement.id, { requirement, correct, cells: [] });
  });

  // Then each premise withdrawn, on the requirement's home.
  const withdrawals = judged.flatMap((requirement) =>
    requirement.premises.map((premise) => ({ requirement, premise })),
  );
  const cells = new Map<string, PremiseRow['cells'][number]>();
  await inParallel(withdrawals, options.concurrency, async ({ requirement, premise }) => {
    const driver = homes.get(requirement.id);
    if (!driver) return;
    const sources = await sourcesOf(plans.get(requirement.id) as Plan, driver);
    let cell: PremiseRow['cells'][number];
    try {
      const variants = sources.map((s) => ({
        label: s.label,
        ...withdraw(premise.id, s.text),
      }));
      const switches = [...new Set(variants.flatMap((v) => v.switches))];
      cell = cellOf(premise.id, await judgeOn(requirement, driver, variants, switches));
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
      cell = cellOf(premise.id, { error: `the withdrawal does not apply: ${err.message}` });
    }
    cells.set(`${requirement.id} ${premise.id}`, cell);
    say(
      `[${played}/${plays.size}] ${requirement.id} without ${premise.id}: ${cell.verdict ?? cell.state}${cell.state === 'held' ? '' : ` (${cell.state}): ${cell.reason}`}`,
    );
  });

  const table = judged.map((requirement): PremiseRow => {
    const row = rows.get(requirement.id) as PremiseRow;
    const home = homes.get(requirement.id);
    return {
      ...row,
      ...(home && { target: home }),
      cells: requirement.premises.flatMap((p) => {
        const cell = cells.get(`${requirement.id} ${p.id}`);
        return cell ? [cell] : [];
      }),
    };
  });
  const lines = premiseTable(table);
  const problems = premiseProblems(table);
  for (const line of lines) say(line);
  for (const problem of problems) say(`PROBLEM ${problem}`);
  await writeFile(
    join(folder.path, 'premise-matrix.txt'),
    `${lines.join('\n')}\n${problems.map((p) => `PROBLEM ${p}\n`).join('')}`,
  );
  await writeFile(
    join(folder.path, 'premise-matrix.json'),
    `${JSON.stringify(
      table.map((r) => ({ id: r.requirement.id, on: r.target, correct: r.correct, cells: r.cells })),
      null,
      2,
    )}\n`,
  );
  const final = await folder.finish();
  say(`matrix: ${relative(process.cwd(), join(final, 'premise-matrix.txt'))} (${plays.size} plays)`);
  return problems.length ? 1 : 0;
}

/** Each requirement's plan, from the suite files. */
async function suitePlans(suiteFiles: ReadonlyArray<string>): Promise<Map<string, Plan>> {
  const plans = new Map<string, Plan>();
  for (const file of suiteFiles)
    for (const plan of await collectPlans(() => import(join(PROJECT_ROOT, file)))) plans.set(plan.id, plan);
  return plans;
}

/** One scenario text played on emulated hosts with the switches on; its observation, or why there is none. */
async function playOnce(
  dir: string,
  driver: Driver,
  text: string,
  switches: ReadonlyArray<string>,
): Promise<Observation | { error: string }> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'scenario.yaml');
  await writeFile(file, text);
  const session = openSession(
    { driver, hosts: { kind: 'emulated', image: 'bookworm', bugs: [...switches] }, accel: 'auto' },
    { storeDir: dir, progress: () => {} },
  );
  try {
    return await session.play(parseScenario(text, file, (id) => findRequirement(id) !== undefined));
  } catch (err) {
    return { error: `the play broke: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await session.close();
  }
}

/** Runs this command again with the clock asked for, its output passed on as it comes. */
async function onClock(options: PremisesOptions): Promise<number> {
  const argv = [
    process.execPath,
    CLI,
    'premises',
    '--concurrency',
    String(options.concurrency),
    '--time-scale',
    String(options.timeScale),
    '--out',
    options.out,
    ...(options.family.length ? ['--family', options.family.join(',')] : []),
    ...(options.requirement.length ? ['--requirement', options.requirement.join(',')] : []),
  ];
  const run = await runCommand(argv, {
    timeoutMs: REEXEC_TIMEOUT_MS,
    cwd: process.cwd(),
    env: { ...process.env, [TIME_SCALE_ENV]: String(options.timeScale) },
    onLine: say,
  });
  if (run.code === null)
    say(
      `cutover premises ${run.timedOut ? 'ran out of time' : 'did not start'}: ${run.output.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return run.code ?? 1;
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);
