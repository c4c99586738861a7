import { join, relative, resolve } from 'node:path';
import type { Observation } from '../observation/types.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { openRunFolder } from '../reporting/run-folder.ts';
import { loadScenario } from '../scenario/load.ts';
import { openSession, preflight, UnfinishedScenario } from '../session/index.ts';
import { printScenarioVerdicts } from './judge.ts';
import { say, type TargetOptions } from './options.ts';

export interface ScenarioOptions extends TargetOptions {
  readonly driver?: string;
}

/** `cutover scenario FILE`: one scenario alone; prints what it observed and the verdicts. */
export async function scenarioCommand(file: string, options: ScenarioOptions): Promise<number> {
  const loaded = await loadScenario(resolve(file), (id) => findRequirement(id) !== undefined);
  const target = {
    driver: options.driver ?? loaded.scenario.driver.name,
    driverOptions: options.driverOption,
    hosts: { kind: options.hosts, image: options.image, bugs: options.bug },
    accel: options.accel,
  };
  await preflight(target, say);
  const folder = await openRunFolder(options.out);
  const session = openSession(target, { storeDir: folder.path, progress: (line) => say(`  ${line}`) });
  let observation: Observation;
  try {
    observation = await session.play(loaded);
  } catch (err) {
    if (err instanceof UnfinishedScenario) {
      // cutover failed while playing: what was recorded stays, in a run folder still named
      // *.incomplete (never a result), and the message says where.
      process.stderr.write(
        `cutover: harness error in ${loaded.scenario.name}: ${err.message}\n` +
          `what was recorded up to then: ${relative(process.cwd(), err.folder)}/ (${err.evidence.map((e) => e.path).join(', ')})\n`,
      );
      return 1;
    }
    // Nothing was observed: no folder that looks like a run is left behind.
    await folder.discard();
    throw err;
  } finally {
    await session.close();
  }
  printObservation(observation);
  say('\njudged:');
  const failed = printScenarioVerdicts(observation, '  ');
  const final = await folder.finish();
  say(
    `\nevidence: ${relative(process.cwd(), join(final, 'scenarios', loaded.scenario.name))}/ (timeline.svg, history.jsonl, observation.json, transcripts)`,
  );
  return failed ? 1 : 0;
}

function printObservation(obs: Observation): void {
  say(
    `\nobserved (${obs.driver.name} ${Object.entries(obs.driver.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(' ')}, ${obs.hostKind} hosts, ${(obs.durationMs / 1000).toFixed(1)} s):`,
  );
  for (const s of obs.steps)
    say(`  ${fmt(s.startedAt)} step ${s.index} ${s.do}: ${s.outcome}${s.detail ? ` (${s.detail})` : ''}`);
  for (const e of obs.events.filter((e) => e.migrationStatus))
    say(`  ${fmt(e.t)} ${e.side} MIGRATION ${e.migrationStatus}`);
  const final = obs.migration?.final;
  if (final)
    say(
      `  final: ${Object.entries(final)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  for (const side of ['source', 'destination'] as const) {
    const p = obs.progress[side];
    say(
      `  ${side}: ${p.passes.length} passes, ${p.boots.length} boot(s)${obs.memory[side] ? `; memory: ${obs.memory[side]?.summary}` : ''}`,
    );
  }
}

const fmt = (t: number): string => `${(t / 1000).toFixed(3).padStart(7)}s`;
