// Canned command runners and probe deps for the tests: nothing real is run or installed.
import type { ProbeDeps } from './probe.ts';
import type { CommandRunner, RunOptions, RunResult } from '../util/command.ts';

export function result(partial: Partial<RunResult> = {}): RunResult {
  const stdout = partial.stdout ?? '';
  const stderr = partial.stderr ?? '';
  return { code: 0, timedOut: false, output: `${stdout}${stderr}`, ...partial, stdout, stderr };
}

export const ENOENT: RunResult = result({ code: null, spawnError: 'ENOENT' });

export interface Call {
  argv: string[];
  opts: RunOptions;
}

/** A runner that answers by the joined argv (exact key, else the first key that is a prefix),
 *  and records every call. Unknown commands behave as not installed. */
export function fakeRunner(
  answers: Record<string, RunResult | ((opts: RunOptions) => RunResult)>,
): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  const runner = async (argv: readonly string[], opts: RunOptions): Promise<RunResult> => {
    calls.push({ argv: [...argv], opts });
    const key = argv.join(' ');
    const match = answers[key] ?? Object.entries(answers).find(([k]) => key.startsWith(k))?.[1];
    if (match === undefined) return ENOENT;
    return typeof match === 'function' ? match(opts) : match;
  };
  return Object.assign(runner, { calls });
}

/** dpkg-query answers for a set of installed packages; every other package is unknown. */
export function dpkgAnswers(installed: readonly string[], all: readonly string[]): Record<string, RunResult> {
  const answers: Record<string, RunResult> = {};
  for (const pkg of all) {
    answers[`dpkg-query -W -f=\${Status} ${pkg}`] = installed.includes(pkg)
      ? result({ stdout: 'install ok installed' })
      : result({ code: 1, stderr: `dpkg-query: no packages found matching ${pkg}\n` });
  }
  return answers;
}

export function fakeProbeDeps(
  run: CommandRunner,
  opts: { executables?: readonly string[]; devices?: Record<string, string | undefined>; timeoutMs?: number } = {},
): ProbeDeps {
  return {
    run,
    // Without a list, every command the runner answers for is on PATH.
    which: async (name) =>
      opts.executables === undefined || opts.executables.includes(name) ? `/usr/bin/${name}` : undefined,
    openReadWrite: async (path) => {
      const errno = opts.devices?.[path] ?? 'ENOENT';
      if (errno !== 'OK') throw Object.assign(new Error(`${errno}: ${path}`), { code: errno });
    },
    timeoutMs: opts.timeoutMs ?? 5_000,
  };
}
