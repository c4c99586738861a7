// Each SHU judge on what real QEMU did on one host (7.2, 7.2 -> 10.0, 10.0 cpr-transfer),
// and on copies of those observations with the judged behaviour broken.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { decide } from './index.ts';
import { fixture, judge, underTest, verdictOf } from './fixture.ts';

const sameHost = () => fixture('qemu-7.2-shu-same-host');
const upgrade = () => fixture('qemu-7.2-to-10.0-shu-upgrade');
const sharedRam = () => fixture('qemu-7.2-to-10.0-shu-shared-ram');
const cpr = () => fixture('qemu-10.0-shu-cpr-transfer');
const lostAfterHandover = () => underTest(fixture('qemu-7.2-shu-failed-after-handover'));

describe('SHU judges on real QEMU observations', () => {
  it('SHU-01..04 pass on real same-host migrations, the upgrade naming both versions', () => {
    expect(verdictOf('SHU-01', sameHost())).toBe('pass');
    expect(judge('SHU-02')(upgrade() as Observation).reason).toMatch(/7\.2\.\d+ -> 10\.0\.\d+/);
    expect(verdictOf('SHU-03', sharedRam())).toBe('pass');
    expect(verdictOf('SHU-04', cpr())).toBe('pass');
  });
  it('SHU-03 reports the bytes sent against the guest RAM', () => {
    const { measurements } = judge('SHU-03')(sharedRam() as Observation);
    expect(measurements.transferredBytes).toBeLessThan(1024 * 1024);
    expect(measurements.guestRamBytes).toBe(128 * 2 ** 20);
  });
  it('SHU-05 passes when the guest is declared lost, and fails when a manager resumes the old QEMU on changed RAM', () => {
    expect(judge('SHU-05')(lostAfterHandover() as Observation).reason).toMatch(/guest was lost/);
    const resumed = judge('SHU-05')(underTest(fixture('qemu-7.2-shu-manager-resumes-source')) as Observation);
    expect(resumed.verdict).toBe('fail');
    expect(resumed.reason).toMatch(/resumed on RAM the new QEMU had already changed/);
  });
});

describe('SHU judges fail when the behaviour is broken', () => {
  it('SHU-01 fails when a management layer refuses the same-host migration', () => {
    const refused = sameHost();
    refused.migration!.final = {
      status: 'failed',
      errorDesc: 'internal error: Attempt to migrate guest to the same host 0c10',
    };
    expect(judge('SHU-01')(refused as Observation).reason).toMatch(/refused to migrate within one host/);
  });
  it('SHU-02 fails on corrupt RAM at the new QEMU, and is skipped when there is no newer QEMU', () => {
    const corrupt = upgrade();
    corrupt.memory.destination = {
      ...corrupt.memory.destination!,
      intact: false,
      summary: '3 of 25344 pages break the neighbour pattern',
    };
    expect(verdictOf('SHU-02', corrupt)).toBe('fail');
    const oneVersion = upgrade();
    oneVersion.guest!.emulators = { source: '7.2.22', destination: '7.2.22' };
    expect(verdictOf('SHU-02', oneVersion)).toBe('skipped');
  });
  it('SHU-03 fails when shared RAM was copied anyway', () => {
    const copied = sharedRam();
    copied.migration!.final = { ...copied.migration!.final!, transferredBytes: 120 * 2 ** 20 };
    expect(judge('SHU-03')(copied as Observation).reason).toMatch(/copied anyway/);
  });
  it('SHU-04 fails when RAM was copied after all, or the destination QEMU cannot do cpr-transfer', () => {
    const copied = cpr();
    copied.migration!.final!.transferredBytes = 120 * 2 ** 20;
    expect(judge('SHU-04')(copied as Observation).reason).toMatch(/RAM was copied, not handed over/);
    const old = cpr();
    old.guest!.emulators.destination = '7.2.22';
    expect(judge('SHU-04')(old as Observation).reason).toMatch(/cannot do cpr-transfer/);
  });

  it('SHU-04 fails when the new QEMU starts the guest over, and is skipped where QEMU refuses cpr-transfer', () => {
    const rebooted = cpr();
    rebooted.progress.destination.boots = [1234];
    expect(verdictOf('SHU-04', rebooted)).toBe('fail');
    const old = cpr();
    old.steps[0] = {
      ...old.steps[0]!,
      outcome: 'unsupported',
      detail: 'cpr-transfer needs QEMU >= 10.0; the newest QEMU of host is 7.2.22',
    };
    expect(decide('SHU-04', old as Observation).verdict).toBe('skipped');
  });
  it("SHU-05 skips what cutover's own qemu driver decided: not resuming the old QEMU is its own policy", () => {
    expect(judge('SHU-05')(fixture('qemu-7.2-shu-failed-after-handover') as Observation).verdict).toBe('skipped');
  });

  it('SHU-05 fails when both QEMUs run the guest after the failure', () => {
    const both = lostAfterHandover();
    const kill = both.faults[0]!.t;
    both.progress.destination.passes.push(kill + 500, kill + 600);
    both.progress.source.passes.push(kill + 510, kill + 610, kill + 710);
    expect(judge('SHU-05')(both as Observation).reason).toMatch(/both QEMUs ran the guest/);
  });

  it('SHU-05 does not count passes read late from a new QEMU already seen gone', () => {
    const late = lostAfterHandover();
    const kill = late.faults[0]!.t;
    // The harness stalled: the exit was seen 100 ms after the kill, a pass printed before it read at 90 ms.
    late.states = late.states.filter((s) => s.side !== 'destination' || s.t < kill || s.t > kill + 100);
    late.states.push({ t: kill + 100, side: 'destination', state: 'gone' } as (typeof late.states)[number]);
    late.progress.destination.passes.push(kill + 90);
    expect(judge('SHU-05')(late as Observation).reason).toMatch(/guest was lost/);
  });
});
