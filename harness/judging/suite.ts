import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, test, type TestContext } from 'vitest';
import * as allure from 'allure-js-commons';
import { loadDriver } from '../drivers/load.ts';
import { hostProvider } from '../hosts/index.ts';
import { createRunFolder, type RunFolder } from '../hosts/process/registry.ts';
import type { Observation } from '../observation/types.ts';
import { findRequirement } from '../requirements/catalog.ts';
import type { RequirementResult } from '../reporting/result.ts';
import { readRunConfig } from '../runner/run-config.ts';
import type { Precondition } from './preconditions.ts';
import { runScenario } from '../runner/run-scenario.ts';
import { loadScenario } from '../scenario/load.ts';
import { registerCleanup } from '../util/cleanup.ts';
import { combineVerdicts, decide, JUDGES } from './index.ts';
import { CannotJudge } from './verdict.ts';
import '../reporting/result.ts';

// The vocabulary of suites/: `verify(ID, scenario)` plays the scenario (once per file, however
// many requirements it feeds), judges the observation, and records the verdict with its
// evidence for the reports.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const observations = new Map<string, Promise<Observation>>();
let scratch: Promise<RunFolder> | undefined;
let forgetScratch = (): void => {};

afterAll(async () => {
  await (await scratch)?.remove();
  forgetScratch();
});

/** Judges `id` on what the scenario showed; given several, on all of them (see combineVerdicts). */
export function verify(id: string, scenario: string | ReadonlyArray<string>, precondition?: Precondition): void {
  const scenarios = typeof scenario === 'string' ? [scenario] : scenario;
  const requirement = findRequirement(id);
  const judge = JUDGES[id];
  if (!requirement || !judge) throw new Error(`suite names ${id}, which cutover cannot judge`);
  test(`${id} ${requirement.title}`, async (context) => {
    const started = performance.now();
    const record = (result: Omit<RequirementResult, 'id' | 'durationMs'>): void => {
      context.task.meta.cutover = { id, durationMs: Math.round(performance.now() - started), ...result };
    };
    const unmet = await precondition?.(readRunConfig());
    if (unmet) {
      record({ verdict: 'skipped', reason: unmet, measurements: {}, evidence: [] });
      context.skip(unmet);
      return;
    }
    await allure.label('requirement', id);
    await allure.epic(requirement.family.toUpperCase());
    const observations: Observation[] = [];
    for (const file of scenarios) {
      try {
        observations.push(await observe(file));
      } catch (err) {
        record({ verdict: 'error', reason: `harness could not run ${file}: ${message(err)}`, measurements: {}, evidence: [] });
        throw err;
      }
    }
    const evidence: string[] = [];
    for (const obs of observations) evidence.push(...(await attachEvidence(obs)));
    const observation = observations[0] as Observation;
    let verdict;
    try {
      verdict = combineVerdicts(observations.map((obs) => ({ label: obs.scenario.name, verdict: decide(id, obs) })));
    } catch (err) {
      const reason = err instanceof CannotJudge ? `cannot judge: ${err.message}` : `judge crashed: ${message(err)}`;
      record({ verdict: 'error', reason, measurements: {}, evidence, versions: observation.driver.versions });
      throw err;
    }
    record({ ...verdict, evidence, versions: observation.driver.versions, ...(observation.driver.accelerator && { accelerator: observation.driver.accelerator }) });
    await allure.description(`**${verdict.verdict.toUpperCase()}**: ${verdict.reason}`);
    // Measurements vary from run to run: excluded, so Allure's history still groups by test.
    for (const [name, value] of Object.entries(verdict.measurements)) await allure.parameter(name, String(value), { excluded: true });
    assertVerdict(context, verdict.verdict, verdict.reason);
  });
}

function assertVerdict(context: TestContext, verdict: 'pass' | 'fail' | 'skipped', reason: string): void {
  if (verdict === 'skipped') {
    context.skip(reason);
    return;
  }
  context.expect(verdict, reason).toBe('pass');
}

function observe(scenario: string): Promise<Observation> {
  let pending = observations.get(scenario);
  if (!pending) {
    pending = playScenario(scenario);
    observations.set(scenario, pending);
  }
  return pending;
}

async function playScenario(scenario: string): Promise<Observation> {
  const config = readRunConfig();
  scratch ??= createRunFolder().then((folder) => {
    forgetScratch = registerCleanup(() => folder.remove());
    return folder;
  });
  const folder = await scratch;
  const loaded = await loadScenario(join(ROOT, 'scenarios', scenario), (id) => findRequirement(id) !== undefined);
  const name = loaded.scenario.name;
  return runScenario({
    loaded,
    driverFactory: await loadDriver(config.driver),
    driverOptions: config.driverOptions,
    hostProvider: hostProvider({ kind: config.hosts, image: config.image }, folder.remember),
    workDir: join(folder.path, name),
    evidenceDir: join(config.runDir, 'scenarios', name),
    accel: config.accel,
    progress: (line) => console.log(line),
  });
}

/** Evidence paths relative to the run folder, each also attached to the Allure result. */
async function attachEvidence(observation: Observation): Promise<string[]> {
  const config = readRunConfig();
  const dir = join(config.runDir, 'scenarios', observation.scenario.name);
  const paths: string[] = [];
  for (const file of observation.evidence) {
    const path = join(dir, file.path);
    paths.push(relative(config.runDir, path));
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
