// Vendor-style driver modules on real QEMU, each the real qemu driver with one bug a
// management layer could have: the requirement it breaks must FAIL, with the implementation
// blamed (never 'error'), and nothing may be left behind.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
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

  // The recovery wait (60 s) runs out; then the settle (5 s), a `stop` the paused destination
  // never answers (bounded at 10 s), a last state query (5 s): about 90 s in all (QEMU 7.2.22,
  // 2 cores, 2026-12-07: 91 s).
  it('a post-copy recovery that does nothing makes PCS-02 fail, not err, and the evidence is stored', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const started = Date.now();
    const result = await cutover([
      'scenario',
      'scenarios/pcs/link-cut-postcopy.yaml',
      '--driver',
      driver('skips-postcopy-recovery'),
      '--out',
      out,
    ]);
    const elapsedMs = Date.now() - started;
    expect(result.stdout, result.stdout + result.stderr).toMatch(
      /^ {2}FAIL {2}PCS-02: recovery never completed the migration: neither side reported a migration status after it was asked for at [\d.]+ ms; both stayed postcopy-paused; then the destination did not answer \(pausing the destination guest to read its memory: no answer within 10 s\)/m,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(elapsedMs).toBeLessThan(150_000);
    const folder = join(out, 'latest', 'scenarios', 'pcs-link-cut-postcopy');
    for (const file of ['history.jsonl', 'observation.json', 'timeline.svg', 'qmp-destination.log'])
      expect(existsSync(join(folder, file)), file).toBe(true);
    const observation = JSON.parse(readFileSync(join(folder, 'observation.json'), 'utf8')) as Observation;
    expect(observation.unanswered?.map((u) => `${u.look} ${u.side} ${u.cause}`)).toEqual([
      'check-memory destination deadline',
    ]);
    expect(qemuProcesses()).toBe(0);
  }, 240_000);
});
