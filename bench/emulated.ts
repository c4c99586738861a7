// Benchmark (not a test): the whole certification on the emulated target (emulated QEMU with
// the qemu driver, and the emulated daemon with the emulated driver), each at the wall clock's
// pace one scenario at a time and in the fast configuration (families side by side on a clock
// 10 times faster), beside the same run on real QEMU (process hosts) when asked, in one
// invocation so the machine's noise hits all of them. Prints wall times, their ratios and the
// slowest scenarios (where the time goes); asserts nothing.
//
//   npm run bench:emulated [-- --real] [-- --family mig,pcs] [-- --fast-only]

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    real: { type: 'boolean', default: false },
    family: { type: 'string', default: '' },
    'fast-only': { type: 'boolean', default: false },
  },
});
/** The fast configuration the README recommends for emulated runs. */
const FAST = ['--jobs', '2', '--time-scale', '10'];

interface Figures {
  readonly label: string;
  readonly wallMs: number;
  readonly summary: Record<string, number>;
  readonly slowest: Array<[string, number]>;
}

async function certify(label: string, args: string[]): Promise<Figures> {
  const out = await mkdtemp(join(tmpdir(), 'cutover-bench-'));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/cutover.mjs'),
      'run',
      ...args,
      ...(values.family ? ['--family', values.family] : []),
      '--out',
      out,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  await new Promise((resolve) => child.on('exit', resolve));
  const wallMs = performance.now() - started;
  const certificate = JSON.parse(await readFile(join(out, 'latest', 'certificate.json'), 'utf8')) as {
    summary: Record<string, number>;
  };
  const durations: Array<[string, number]> = [];
  const scenarios = join(out, 'latest', 'scenarios');
  for (const name of await readdir(scenarios).catch(() => [])) {
    const obs = JSON.parse(await readFile(join(scenarios, name, 'observation.json'), 'utf8').catch(() => '{}')) as {
      durationMs?: number;
      timeScale?: number;
    };
    // In wall time: a faster clock's milliseconds are shorter.
    if (obs.durationMs !== undefined) durations.push([name, obs.durationMs / (obs.timeScale ?? 1)]);
  }
  await rm(out, { recursive: true, force: true });
  return { label, wallMs, summary: certificate.summary, slowest: durations.sort((a, b) => b[1] - a[1]).slice(0, 5) };
}

const runs: Figures[] = [];
const fast: Figures[] = [];
fast.push(
  await certify('emulated daemon, emulated driver, fast', ['--hosts', 'emulated', '--driver', 'emulated', ...FAST]),
);
fast.push(await certify('emulated QEMU, qemu driver, fast', ['--hosts', 'emulated', '--driver', 'qemu', ...FAST]));
if (!values['fast-only']) {
  runs.push(await certify('emulated daemon, emulated driver', ['--hosts', 'emulated', '--driver', 'emulated']));
  runs.push(await certify('emulated QEMU, qemu driver', ['--hosts', 'emulated', '--driver', 'qemu']));
}
const real = values.real
  ? await certify('real QEMU, qemu driver (process hosts)', ['--hosts', 'process', '--driver', 'qemu'])
  : undefined;

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
for (const run of [...fast, ...runs, ...(real ? [real] : [])]) {
  const verdicts = Object.entries(run.summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  console.log(`${run.label}: ${s(run.wallMs)} (${verdicts})`);
  console.log(`  slowest scenarios: ${run.slowest.map(([name, ms]) => `${name} ${s(ms)}`).join(', ')}`);
}
const [fastDaemon, fastQemu] = fast;
console.log(
  `fast emulated certification (${FAST.join(' ')}), emulated driver: ${s(fastDaemon?.wallMs ?? 0)}; goal: under 20 s`,
);
const [slowDaemon, slowQemu] = runs;
if (slowDaemon && fastDaemon)
  console.log(
    `one scenario at a time on the wall clock / fast: ${(slowDaemon.wallMs / fastDaemon.wallMs).toFixed(1)}x (emulated driver), ${(slowQemu && fastQemu ? slowQemu.wallMs / fastQemu.wallMs : 0).toFixed(1)}x (qemu driver)`,
  );
if (real && fastQemu)
  console.log(`real run / fast emulated run (qemu driver): ${(real.wallMs / fastQemu.wallMs).toFixed(1)}x`);
