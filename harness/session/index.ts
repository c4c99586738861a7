import { join, resolve } from 'node:path';
import { loadDriver } from '../drivers/load.ts';
import { hostProvider } from '../hosts/index.ts';
import { createRunFolder, type RunFolder } from '../hosts/process/registry.ts';
import type { Observation } from '../observation/types.ts';
import { storeScenario } from '../reporting/store.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { runScenario } from '../runner/run-scenario.ts';
import { loadScenario, type LoadedScenario } from '../scenario/load.ts';
import { registerCleanup } from '../util/cleanup.ts';
import type { Target } from './preflight.ts';

// The one place that composes a run: the driver, the host provider, a scratch folder for the
// hosts, the runner, and the run's store. The CLI, the suites and the benchmarks all play
// scenarios through a session.

export interface Session {
  /** Plays a scenario (a file, or one already loaded) and stores it under `scenarios/<storeAs or its name>/`. */
  play(scenario: string | LoadedScenario, storeAs?: string): Promise<Observation>;
  /** Removes the scratch folder (hosts are removed after each scenario). Idempotent. */
  close(): Promise<void>;
}

export interface SessionOptions {
  /** The run's folder: each scenario's history, observation and evidence go below it. */
  readonly storeDir: string;
  readonly progress: (line: string) => void;
}

export function openSession(target: Target, options: SessionOptions): Session {
  let scratch: Promise<RunFolder> | undefined;
  let forget = (): void => {};
  const folder = (): Promise<RunFolder> =>
    (scratch ??= createRunFolder().then((made) => {
      forget = registerCleanup(() => made.remove());
      return made;
    }));
  return {
    async play(scenario, storeAs) {
      const loaded =
        typeof scenario === 'string'
          ? await loadScenario(resolve(scenario), (id) => findRequirement(id) !== undefined)
          : scenario;
      const scratchFolder = await folder();
      const { name } = loaded.scenario;
      const run = await runScenario({
        loaded,
        driverFactory: await loadDriver(target.driver),
        ...(target.driverOptions && { driverOptions: target.driverOptions }),
        hostProvider: hostProvider(target.hosts, scratchFolder.remember),
        workDir: join(scratchFolder.path, storeAs ?? name),
        accel: target.accel,
        progress: options.progress,
      });
      return storeScenario(join(options.storeDir, 'scenarios', storeAs ?? name), run.history, run.evidence);
    },
    async close() {
      if (!scratch) return;
      const made = await scratch;
      await made.remove();
      forget();
    },
  };
}

export { preflight, type SystemUnderTest, type Target } from './preflight.ts';
