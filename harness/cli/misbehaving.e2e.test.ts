// Vendor-style driver modules on real QEMU, each the real qemu driver with one bug a
// management layer could have: the requirement it breaks must FAIL, with the implementation
// blamed (never 'error'), and nothing may be left behind.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover, qemuProcesses, runningProcesses } from './e2e-helpers.ts';

const driver = (name: string): string => join('harness/cli/fixtures/drivers', `${name}.ts`);

describe('misbehaving management layers on real QEMU', () => {
  it.each([
    [
      'ignores cancel',
      'ignores-cancel',
      'scenarios/mig/cancel.yaml',
      'MIG-06',
      /no 'cancelled' status after migrate_cancel .*ran out of time/,
    ],
    [
      'reports a failed migration as completed',
      'reports-failure-as-completed',
      'scenarios/mig/unreachable.yaml',
      'MIG-07',
      /failed without an error text/,
    ],
    [
      'leaves the source paused after a failure',
      'leaves-source-paused',
      'scenarios/mig/unreachable.yaml',
      'MIG-07',
      /the source made \d+ passes and is 'paused'/,
    ],
    [
      'leaves the destination paused after the hand-over',
      'leaves-destination-paused',
      'scenarios/mig/precopy.yaml',
      'MIG-03',
      /only \d+ passes on the destination after completion/,
    ],
    [
      'leaves the source paused when the destination dies',
      'leaves-source-paused',
      'scenarios/pcs/destination-lost-precopy.yaml',
      'PCS-04',
      /the source made \d+ passes and is 'paused'/,
    ],
    ['drops validate-uuid', 'drops-validate-uuid', 'scenarios/uuid/validate-uuid.yaml', 'UUID-05', /another UUID/],
    ['drops the graphics relocation', 'drops-graphics-relocation', 'scenarios/spice/seamless.yaml', 'SPICE-01', /./],
  ])(
    '%s: %s makes %s fail',
    async (_what, name, scenario, id, reason) => {
      const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
      const result = await cutover(['scenario', scenario, '--driver', driver(name), '--out', out]);
      const line =
        result.stdout.split('\n').find((l) => l.trim().startsWith(`FAIL  ${id}:`) || l.includes(` ${id}:`)) ?? '';
      expect(line.trim(), result.stdout + result.stderr).toMatch(new RegExp(`^FAIL  ${id}: `));
      expect(line).toMatch(reason);
      expect(result.code).toBe(1);
      expect(qemuProcesses()).toBe(0);
      expect(runningProcesses(/^(remote-viewer|Xvfb)$/)).toBe(0);
    },
    180_000,
  );
});
