// The emulated QEMU against real QEMU, scenario by scenario, where QEMU is installed: both
// played with the qemu driver on local hosts, and any drift in event order or final states
// fails the test. The differences known and accepted are written in the README.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { cutover, ROOT } from './e2e-helpers.ts';
import { drift } from '../observation/drift.ts';

const qemuInstalled = (() => {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const SCENARIOS = [
  'mig/precopy',
  'mig/cancel',
  'mig/unreachable',
  'uuid/validate-uuid',
  'pcs/source-lost-postcopy',
  'pcs/link-cut-postcopy',
  'pcs/destination-lost-precopy',
  'pcs/source-lost-precopy',
  'spice/seamless',
  'spice/cancelled',
  'spice/no-client',
];
const out = await mkdtemp(join(tmpdir(), 'cutover-fidelity-'));
afterAll(() => rm(out, { recursive: true, force: true }));

async function observe(scenario: string, hosts: 'process' | 'emulated'): Promise<Observation> {
  const dir = join(out, `${scenario.replace('/', '-')}-${hosts}`);
  const run = await cutover([
    'scenario',
    join(ROOT, 'scenarios', `${scenario}.yaml`),
    '--hosts',
    hosts,
    '--driver',
    'qemu',
    '--out',
    dir,
  ]);
  if (run.code === null || run.code > 1)
    throw new Error(`cutover scenario ${scenario} --hosts ${hosts} exited ${run.code}: ${run.stderr}`);
  const name =
    /^name: (.+)$/m.exec(await readFile(join(ROOT, 'scenarios', `${scenario}.yaml`), 'utf8'))?.[1]?.trim() ?? '';
  return JSON.parse(await readFile(join(dir, 'latest', 'scenarios', name, 'observation.json'), 'utf8')) as Observation;
}

describe.skipIf(!qemuInstalled)('emulated QEMU against real QEMU', () => {
  it.each(SCENARIOS)(
    '%s: the same event order and final states',
    async (scenario) => {
      const [real, emulated] = [await observe(scenario, 'process'), await observe(scenario, 'emulated')];
      expect(drift(real, emulated)).toEqual([]);
    },
    300_000,
  );
});
