import { join, resolve } from 'node:path';
import { loadDriver } from '../drivers/load.ts';
import { hostProvider } from '../hosts/index.ts';
import { createRunFolder, type RunFolder } from '../hosts/process/registry.ts';
import type { Observation } from '../observation/types.ts';
import { storeScenario, storeUnfinishedScenario } from '../reporting/store.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { runScenario, ScenarioError, type ScenarioRun } from '../runner/run-scenario.ts';
import { loadScenario, type LoadedScenario } from '../scenario/load.ts';
import { registerCleanup } from '../util/cleanup.ts';
import type { Target } from './preflight.ts';

// The one place that composes a run: the driver, the host provider, a scratch folder for the
// hosts, the runner, and the run's store. The CLI, the suites and the benchmarks all play
// scenarios through a session.

export interface Session {
  /**
   * Plays a scenario (a file, or one already loaded) and stores it under
   * `scenarios/<storeAs or its name>/`. When cutover fails while it plays, what was recorded
   * is stored there all the same (error.txt says what failed) and UnfinishedScenario thrown.
   */
  play(scenario: string | LoadedScenario, storeAs?: string): Promise<Observation>;
  /** Removes the scratch folder (hosts are removed after each scenario). Idempotent. */
  close(): Promise<void>;
}

export interface SessionOptions {
  /** The run's folder: each scenario's history, observation and evidence go below it. */
  readonly storeDir: string;
  readonly progress: (line: string) => void;
}

/** A scenario cutover failed to finish: what it recorded is kept in `folder`, error.txt first. */
export class UnfinishedScenario extends Error {
  override name = 'UnfinishedScenario';
  constructor(
    readonly folder: string,
    /** The files kept, relative to `folder`. */
    readonly evidence: ReadonlyArray<{ readonly label: string; readonly path: string }>,
    cause: ScenarioError,
  ) {
    super(cause.message, { cause });
  }
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
      const dir = join(options.storeDir, 'scenarios', storeAs ?? name);
      let run: ScenarioRun;
      try {
        run = await runScenario({
          loaded,
          driverFactory: await loadDriver(target.driver),
          ...(target.driverOptions && { driverOptions: target.driverOptions }),
          hostProvider: hostProvider(target.hosts, scratchFolder.remember),
          workDir: join(scratchFolder.path, storeAs ?? name),
          accel: target.accel,
          progress: options.progress,
        });
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw err;
        const evidence = await storeUnfinishedScenario(dir, err.run.history, err.run.evidence, {
          during: err.during,
          error: err,
        }).catch(() => undefined);
        if (!evidence) throw err; // nothing could be kept: the failure itself is the news
        throw new UnfinishedScenario(dir, evidence, err);
      }
      return storeScenario(dir, run.history, run.evidence);
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
