// Benchmark (not a test): the whole certification on the emulated target (emulated QEMU with
// the qemu driver, and the emulated daemon with the emulated driver) beside the same run on
// real QEMU (process hosts), in one invocation so the machine's noise hits all of them.
// Prints wall times, their ratio and the slowest scenarios (where the time goes); asserts nothing.
//
//   npm run bench:emulated [-- --real] [-- --family mig,pcs]

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { real: { type: 'boolean', default: false }, family: { type: 'string', default: '' } } });

interface Figures {
  readonly label: string;
  readonly wallMs: number;
  readonly summary: Record<string, number>;
  readonly slowest: Array<[string, number]>;
}

async function certify(label: string, args: string[]): Promise<Figures> {
  const out = await mkdtemp(join(tmpdir(), 'cutover-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/cutover.mjs'), 'run', ...args, ...(values.family ? ['--family', values.family] : []), '--out', out], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const wallMs = performance.now() - started;
  const certificate = JSON.parse(await readFile(join(out, 'latest', 'certificate.json'), 'utf8')) as { summary: Record<string, number> };
  const durations: Array<[string, number]> = [];
  const scenarios = join(out, 'latest', 'scenarios');
  for (const name of await readdir(scenarios).catch(() => [])) {
    const obs = JSON.parse(await readFile(join(scenarios, name, 'observation.json'), 'utf8').catch(() => '{}')) as { durationMs?: number };
    if (obs.durationMs !== undefined) durations.push([name, obs.durationMs]);
  }
  await rm(out, { recursive: true, force: true });
  return { label, wallMs, summary: certificate.summary, slowest: durations.sort((a, b) => b[1] - a[1]).slice(0, 5) };
}

const runs: Figures[] = [];
runs.push(await certify('emulated QEMU, qemu driver', ['--hosts', 'emulated', '--driver', 'qemu']));
runs.push(await certify('emulated daemon, emulated driver', ['--hosts', 'emulated', '--driver', 'emulated']));
if (values.real) runs.push(await certify('real QEMU, qemu driver (process hosts)', ['--hosts', 'process', '--driver', 'qemu']));

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
for (const run of runs) {
  const verdicts = Object.entries(run.summary).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  console.log(`${run.label}: ${s(run.wallMs)} (${verdicts})`);
  console.log(`  slowest scenarios: ${run.slowest.map(([name, ms]) => `${name} ${s(ms)}`).join(', ')}`);
}
const emulated = (runs[0]?.wallMs ?? 0) + (runs[1]?.wallMs ?? 0);
console.log(`emulated certification (both drivers): ${s(emulated)}; goal: under 20 s`);
const real = runs[2];
if (real) console.log(`real run / emulated run (qemu driver): ${(real.wallMs / (runs[0]?.wallMs ?? 1)).toFixed(1)}x`);
