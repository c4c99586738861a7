import { join, relative, resolve } from 'node:path';
import { loadDriver } from '../drivers/load.ts';
import { hostProvider } from '../hosts/index.ts';
import { createRunFolder } from '../hosts/process/registry.ts';
import { CannotJudge, decide, JUDGES } from '../judging/index.ts';
import type { Observation } from '../observation/types.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { openRunFolder } from '../reporting/run-folder.ts';
import { runScenario } from '../runner/run-scenario.ts';
import { loadScenario } from '../scenario/load.ts';
import { say, type TargetOptions } from './options.ts';
import { preflight } from './preflight.ts';

export interface ScenarioOptions extends TargetOptions {
  readonly driver?: string;
}

/** `cutover scenario FILE`: one scenario alone; prints what it observed and the verdicts. */
export async function scenarioCommand(file: string, options: ScenarioOptions): Promise<number> {
  const loaded = await loadScenario(resolve(file), (id) => findRequirement(id) !== undefined);
  const driverSpec = options.driver ?? loaded.scenario.driver.name;
  const hosts = { kind: options.hosts, image: options.image };
  await preflight(driverSpec, hosts, say);
  const folder = await openRunFolder(options.out);
  const scratch = await createRunFolder();
  let observation: Observation;
  try {
    observation = await runScenario({
      loaded,
      driverFactory: await loadDriver(driverSpec),
      driverOptions: options.driverOption,
      hostProvider: hostProvider(hosts, scratch.remember),
      workDir: join(scratch.path, loaded.scenario.name),
      evidenceDir: join(folder.path, 'scenarios', loaded.scenario.name),
      accel: options.accel,
      progress: (line) => say(`  ${line}`),
    });
  } finally {
    await scratch.remove();
  }
  printObservation(observation);
  let failed = 0;
  say('\njudged:');
  for (const id of loaded.scenario.judges) {
    const judge = JUDGES[id];
    if (!judge) {
      say(`  SKIP  ${id}: no check for it in this version`);
      continue;
    }
    try {
      const verdict = decide(id, observation);
      if (verdict.verdict === 'fail') failed++;
      say(`  ${verdict.verdict.toUpperCase().padEnd(5)} ${id}: ${verdict.reason}`);
    } catch (err) {
      failed++;
      say(`  ERROR ${id}: ${err instanceof CannotJudge ? 'cannot judge: ' : ''}${(err as Error).message}`);
    }
  }
  const final = await folder.finish();
  say(`\nevidence: ${relative(process.cwd(), join(final, 'scenarios', loaded.scenario.name))}/ (timeline.svg, observation.json, transcripts)`);
  return failed ? 1 : 0;
}

function printObservation(obs: Observation): void {
  say(`\nobserved (${obs.driver.name} ${Object.entries(obs.driver.versions).map(([k, v]) => `${k} ${v}`).join(' ')}, ${obs.hostKind} hosts, ${(obs.durationMs / 1000).toFixed(1)} s):`);
  for (const s of obs.steps) say(`  ${fmt(s.startedAt)} step ${s.index} ${s.do}: ${s.outcome}${s.detail ? ` (${s.detail})` : ''}`);
  for (const e of obs.events.filter((e) => e.migrationStatus)) say(`  ${fmt(e.t)} ${e.side} MIGRATION ${e.migrationStatus}`);
  const final = obs.migration?.final;
  if (final) say(`  final: ${Object.entries(final).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const side of ['source', 'destination'] as const) {
    const p = obs.progress[side];
    say(`  ${side}: ${p.passes.length} passes, ${p.boots.length} boot(s)${obs.memory[side] ? `; memory: ${obs.memory[side]?.summary}` : ''}`);
  }
}

const fmt = (t: number): string => `${(t / 1000).toFixed(3).padStart(7)}s`;
