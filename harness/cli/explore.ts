import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { explore } from '../explore/explore.ts';
import { isFamily } from '../requirements/catalog.ts';
import { openRunFolder } from '../reporting/run-folder.ts';
import { openSession, preflight } from '../session/index.ts';
import { UsageError } from '../util/errors.ts';
import { formatMs } from '../util/deadline.ts';
import { parseDuration } from '../util/units.ts';
import { PROJECT_ROOT } from './project.ts';
import { say, type TargetOptions } from './options.ts';

export interface ExploreCommandOptions extends TargetOptions {
  readonly family: string;
  readonly base?: string;
  readonly driver: string;
  readonly runs: number;
  readonly seed?: number;
  readonly budget: string;
  readonly keepGoing?: boolean;
  readonly jobs: number;
}

/** `cutover explore`: generated fault schedules over a family's base scenario, shrunk and written when one fails. */
export async function exploreCommand(options: ExploreCommandOptions): Promise<number> {
  const budgetMs = parseDuration(options.budget);
  if (budgetMs === undefined || budgetMs <= 0)
    throw new UsageError(`--budget ${options.budget}: not a duration`, 'e.g. --budget 10m, --budget 90s');
  if (!isFamily(options.family)) throw new UsageError(`--family ${options.family}: unknown family`);
  const file =
    options.base !== undefined
      ? resolve(options.base)
      : join(PROJECT_ROOT, 'scenarios', options.family, 'explore-base.yaml');
  if (!existsSync(file))
    throw new UsageError(
      `no base scenario to explore at ${relative(process.cwd(), file)}`,
      `give one with --base FILE (the ${options.family} family has none)`,
    );
  const text = await readFile(file, 'utf8');
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const target = {
    driver: options.driver,
    driverOptions: options.driverOption,
    hosts: { kind: options.hosts, image: options.image, bugs: options.bug },
    accel: options.accel,
  };
  const sut = await preflight(target, say);
  const folder = await openRunFolder(options.out);
  const session = openSession(target, { storeDir: folder.path, progress: () => {} });
  const replay = [
    'npx cutover scenario',
    `--driver ${options.driver}`,
    `--hosts ${options.hosts}`,
    ...(options.hosts === 'container' ? [`--image ${options.image}`] : []),
  ].join(' ');
  say(
    `exploring ${relative(process.cwd(), file)} on ${sut.driverName} (${options.hosts} hosts): ${options.runs} schedules, seed ${seed}, budget ${formatMs(budgetMs)}${options.jobs > 1 ? `, ${options.jobs} at once` : ''}`,
  );
  try {
    const result = await explore({
      base: { text, file },
      target: {
        capabilities: new Set(sut.capabilities),
        hostFeatures: new Set(sut.hostFeatures),
        ...(sut.phases && { phases: sut.phases }),
      },
      session,
      runDir: folder.path,
      finalDir: folder.final,
      runs: options.runs,
      seed,
      budgetMs,
      keepGoing: options.keepGoing ?? false,
      replay,
      progress: say,
      jobs: options.jobs,
    });
    const minutes = result.elapsedMs / 60_000;
    say(
      `\n${result.played.length} schedules played in ${formatMs(result.elapsedMs)} (${(result.played.length / minutes).toFixed(1)} per minute)${result.outOfBudget ? ', the budget ran out' : ''}; ${result.failures.length} failing schedule(s) found`,
    );
    for (const f of result.failures) say(`  ${relative(process.cwd(), f.file)}: ${f.reason}`);
    const final = await folder.finish();
    say(`schedules and evidence: ${relative(process.cwd(), final)}/`);
    return result.failures.length ? 1 : 0;
  } finally {
    await session.close();
  }
}
