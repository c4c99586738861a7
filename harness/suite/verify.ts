import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, test, type TestContext } from 'vitest';
import * as allure from 'allure-js-commons';
import { combineRepetitions, judgeRequirement, JUDGES, type Judgement } from '../judging/index.ts';
import type { Observation } from '../observation/types.ts';
import { CUTOVER_COULD_NOT_RUN, type InvariantJudgement, type RequirementResult } from '../reporting/result.ts';
import { findRequirement } from '../requirements/catalog.ts';
import type { Capability } from '../drivers/vocabulary.ts';
import { composeScenario, derivedName } from '../explore/compose.ts';
import { fixedSchedules } from '../explore/schedule.ts';
import { loadScenario, parseScenario, type LoadedScenario } from '../scenario/load.ts';
import { openSession, UnfinishedScenario, type Session } from '../session/index.ts';
import type { Precondition } from './preconditions.ts';
import { readRunConfig, type RunConfig } from './run-config.ts';
import '../reporting/result.ts';

// The vocabulary of suites/: `verify(ID, scenario)` plays the scenario (once per file, however
// many requirements it feeds), judges the observation, and records the verdict with its
// evidence for the reports. `family(title, ...)` groups a family's requirements.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A scenario played once: its observation, and the folder it is stored in under scenarios/. */
interface Played {
  readonly observation: Observation;
  readonly store: string;
}

/** Each scenario's repetitions, played once however many requirements they feed. */
const played = new Map<string, Promise<Played>>();
let session: Session | undefined;

/** What a suite declares: a requirement, the scenarios it is judged on, what it needs. */
export interface Plan {
  readonly id: string;
  readonly scenarios: ReadonlyArray<string>;
  readonly precondition?: Precondition;
  /** Judged on fault schedules generated over the (one) scenario: a fixed-seed exploration. */
  readonly explore?: Exploration;
}

/** A fixed-seed exploration: the first `runs` schedules of `seed`, for the run's implementation. */
export interface Exploration {
  readonly seed: number;
  readonly runs: number;
}

let collecting: Plan[] | undefined;

/**
 * The plans a suite file declares, without running anything: for the test that checks
 * catalogue, judges, suites and scenarios agree.
 */
export async function collectPlans(load: () => Promise<unknown>): Promise<Plan[]> {
  collecting = [];
  try {
    await load();
    return collecting;
  } finally {
    collecting = undefined;
  }
}

export function family(title: string, body: () => void): void {
  if (collecting) return body();
  describe(title, () => {
    body();
    // Each family's session ends with it: a worker may go on to another family (isolate: false).
    afterAll(async () => {
      const ending = session;
      session = undefined;
      await ending?.close();
    });
  });
}

/** Judges `id` on what the scenario showed; given several, on all of them (see combineVerdicts). */
export function verify(id: string, scenario: string | ReadonlyArray<string>, precondition?: Precondition): void {
  const scenarios = typeof scenario === 'string' ? [scenario] : scenario;
  if (collecting) {
    collecting.push({ id, scenarios, ...(precondition && { precondition }) });
    return;
  }
  declareTest(
    id,
    scenarios.map((file) => ({ file })),
    precondition,
  );
}

/**
 * Judges `id` on fault schedules generated over a base scenario (Jepsen's generator, with a
 * fixed seed): the same schedules each run for the same implementation, each written beside
 * the run's evidence (schedules/) so that it replays alone.
 */
export function verifyExplored(id: string, base: string, exploration: Exploration): void {
  if (collecting) {
    collecting.push({ id, scenarios: [base], explore: exploration });
    return;
  }
  declareTest(
    id,
    Array.from({ length: exploration.runs }, (_, i) => ({
      file: base,
      schedule: { seed: exploration.seed, index: i },
    })),
    undefined,
    exploration.runs,
  );
}

/** A scenario file, or one schedule of a fixed exploration over it. */
interface Source {
  readonly file: string;
  readonly schedule?: { readonly seed: number; readonly index: number };
}

function declareTest(
  id: string,
  scenarios: ReadonlyArray<Source>,
  precondition: Precondition | undefined,
  budgetScenarios = scenarios.length,
): void {
  const requirement = findRequirement(id);
  if (!requirement || !JUDGES[id]) throw new Error(`suite names ${id}, which cutover cannot judge`);
  test(
    `${id} ${requirement.title}`,
    async (context) => {
      const started = performance.now();
      const record = (result: Omit<RequirementResult, 'id' | 'durationMs'>): void => {
        context.task.meta.cutover = { id, durationMs: Math.round(performance.now() - started), ...result };
      };
      const unmet = precondition?.(readRunConfig());
      if (unmet) {
        record({ verdict: 'skipped', reason: unmet, measurements: {}, evidence: [] });
        context.skip(unmet);
        return;
      }
      await allure.label('requirement', id);
      await allure.epic(requirement.family.toUpperCase());
      const config = readRunConfig();
      const repeat = config.repeat ?? requirement.repeat;
      const runs: Array<{ played: Played[]; judgement: Judgement }> = [];
      for (let repetition = 1; repetition <= repeat; repetition++) {
        const these: Played[] = [];
        for (const source of scenarios) {
          try {
            these.push(await observe(source, repetition));
          } catch (err) {
            // What the scenario recorded before cutover failed is its evidence (error.txt first).
            const kept = err instanceof UnfinishedScenario ? await attachFiles(err.folder, err.evidence) : [];
            const where =
              err instanceof UnfinishedScenario
                ? `; what was recorded: ${relative(readRunConfig().runDir, err.folder)}/`
                : '';
            record({
              verdict: 'error',
              reason: `${CUTOVER_COULD_NOT_RUN} ${source.file}${source.schedule ? ` (schedule ${source.schedule.index + 1} of seed ${source.schedule.seed})` : ''}${repeat > 1 ? ` (repetition ${repetition} of ${repeat})` : ''}: ${message(err)}${where}`,
              measurements: {},
              evidence: kept,
            });
            throw err;
          }
        }
        runs.push({
          played: these,
          judgement: judgeRequirement(
            id,
            these.map((p) => p.observation),
          ),
        });
      }
      const all = runs.flatMap((r) => r.played);
      context.task.meta.cutoverInvariants = judgeInvariants(id, all);
      const evidence: string[] = [];
      for (const p of all) evidence.push(...(await attachEvidence(p)));
      const first = (all[0] as Played).observation;
      const { judgement, failed, of } = combineRepetitions(runs.map((r) => r.judgement));
      record({
        ...judgement,
        evidence,
        scenarios: all.map((p) => p.store),
        versions: first.driver.versions,
        ...(of > 1 && {
          repetitions: {
            failed,
            of,
            runs: runs.map((r) => ({
              verdict: r.judgement.verdict,
              reason: r.judgement.reason,
              scenarios: r.played.map((p) => p.store),
            })),
          },
        }),
        ...(first.driver.accelerator && { accelerator: first.driver.accelerator }),
      });
      if (judgement.verdict === 'error') throw new Error(judgement.reason);
      await allure.description(
        `**${judgement.verdict.toUpperCase()}**: ${judgement.reason}\n\n**Requirement**: ${requirement.behaviour}\n\n**Source**: ${requirement.source}`,
      );
      // Measurements vary from run to run: excluded, so Allure's history still groups by test.
      for (const [name, value] of Object.entries(judgement.measurements))
        await allure.parameter(name, String(value), { excluded: true });
      assertVerdict(context, judgement.verdict, judgement.reason);
    },
    SCENARIO_BUDGET_MS * budgetScenarios * plannedRepeats(requirement.repeat),
  );
}

/**
 * The backstop over one play of a scenario (its steps keep their own deadlines; the longest,
 * a silent destination's SYN retries plus a keepalive watch, stays well under it). A test's
 * budget is this for each scenario and repetition it plays.
 */
const SCENARIO_BUDGET_MS = 300_000;

/** How many times the run will play a requirement's scenarios: the run's --repeat, else its own default. */
function plannedRepeats(own: number): number {
  try {
    return readRunConfig().repeat ?? own;
  } catch {
    return own; // not under `cutover run` (the suites read for their plans)
  }
}

function assertVerdict(context: TestContext, verdict: 'pass' | 'fail' | 'skipped', reason: string): void {
  if (verdict === 'skipped') {
    context.skip(reason);
    return;
  }
  context.expect(verdict, reason).toBe('pass');
}

/** The invariants (MIG-08) each scenario names besides `id`, judged on it: the run adds them to the invariant's verdict. */
function judgeInvariants(id: string, played: ReadonlyArray<Played>): InvariantJudgement[] {
  return played.flatMap(({ observation, store }) =>
    observation.scenario.judges
      .filter((other) => other !== id && findRequirement(other)?.everyMigration)
      .map((other) => ({ id: other, scenario: store, judgement: judgeRequirement(other, [observation]) })),
  );
}

/** A scenario's repetition: the first is stored under the scenario's name, the others as `<name>.<n>`. */
function observe(source: Source, repetition: number): Promise<Played> {
  const scenario = source.file;
  const key = `${scenario}${source.schedule ? `@${source.schedule.seed}/${source.schedule.index}` : ''}#${repetition}`;
  let pending = played.get(key);
  if (!pending) {
    const config = readRunConfig();
    const playing = (session ??= openSession(
      {
        driver: config.driver,
        driverOptions: config.driverOptions,
        hosts: { kind: config.hosts, image: config.image, bugs: config.bugs },
        accel: config.accel,
      },
      { storeDir: config.runDir, progress: (line) => console.log(line) },
    ));
    const known = (id: string): boolean => findRequirement(id) !== undefined;
    const loading = source.schedule
      ? loadSchedule(join(ROOT, 'scenarios', scenario), source.schedule, config)
      : loadScenario(join(ROOT, 'scenarios', scenario), known);
    pending = loading.then(async (loaded) => {
      const store = repetition === 1 ? loaded.scenario.name : `${loaded.scenario.name}.${repetition}`;
      if (repetition > 1) console.log(`${loaded.scenario.name}: repetition ${repetition}`);
      return { observation: await playing.play(loaded, store), store };
    });
    played.set(key, pending);
  }
  return pending;
}

/** One schedule of a fixed exploration, written into its base scenario and kept in the run folder. */
async function loadSchedule(
  base: string,
  schedule: { seed: number; index: number },
  config: RunConfig,
): Promise<LoadedScenario> {
  const target = {
    capabilities: new Set(config.capabilities as Capability[]),
    hostFeatures: new Set(config.hostFeatures),
    ...(config.phases && { phases: config.phases }),
  };
  const planned = fixedSchedules(target, schedule.seed, schedule.index + 1)[schedule.index];
  if (!planned) throw new Error(`no schedule ${schedule.index + 1} for seed ${schedule.seed}`);
  const baseText = await readFile(base, 'utf8');
  const baseName = parseScenario(baseText, base, known).scenario.name;
  const name = derivedName(baseName, `seed-${schedule.seed}-${schedule.index + 1}`);
  const text = composeScenario(baseText, planned, {
    name,
    provenance: `Schedule ${schedule.index + 1} of the suite's fixed exploration (seed ${schedule.seed})`,
  });
  const file = join(config.runDir, 'schedules', `${name}.yaml`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  return parseScenario(text, file, known);
}

const known = (id: string): boolean => findRequirement(id) !== undefined;

/** Evidence paths relative to the run folder, each also attached to the Allure result. */
function attachEvidence({ observation, store }: Played): Promise<string[]> {
  return attachFiles(join(readRunConfig().runDir, 'scenarios', store), observation.evidence);
}

/** Files of a scenario's folder: their paths relative to the run folder, each attached to the Allure result. */
async function attachFiles(
  dir: string,
  files: ReadonlyArray<{ readonly label: string; readonly path: string }>,
): Promise<string[]> {
  const { runDir } = readRunConfig();
  const paths: string[] = [];
  for (const file of files) {
    const path = join(dir, file.path);
    paths.push(relative(runDir, path));
    await allure.attachmentPath(file.label, path, contentType(file.path));
  }
  return paths;
}

function contentType(path: string): string {
  if (path.endsWith('.svg')) return 'image/svg+xml';
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.tsv')) return 'text/tab-separated-values';
  return 'text/plain';
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
