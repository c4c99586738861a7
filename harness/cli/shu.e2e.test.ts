// Same-host upgrade and identity as a user runs them on process hosts: real QEMU 7.2 from
// Debian and real QEMU 10.0 from the trixie host image's root filesystem (both from
// `cutover setup`), side by side on one host.
import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateIn, cutover, qemuProcesses } from './e2e-helpers.ts';

describe('SHU and UUID on process hosts with the qemu driver', () => {
  it('upgrades 7.2 -> 10.0 on one host, with shared RAM and cpr-transfer; judges identity; leaves nothing behind', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const result = await cutover(['run', '--family', 'shu,uuid', '--out', out]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const certificate = certificateIn(out);
    const byId = Object.fromEntries(certificate.results.map((r) => [r.id, r]));
    for (const id of ['SHU-01', 'SHU-02', 'SHU-03', 'SHU-04', 'UUID-05'])
      expect(byId[id]?.verdict, `${id}: ${byId[id]?.reason}`).toBe('pass');
    // What the qemu driver decides itself (not resuming the old QEMU, the -uuid it passes) is not judged.
    for (const id of ['SHU-05', 'UUID-01'])
      expect(byId[id]?.reason, id).toMatch(/decided by the qemu driver, which is cutover's own management code/);
    // Management-layer checks: the bare qemu driver keeps no registry, so they are skipped with a reason.
    for (const id of ['SHU-06', 'UUID-02', 'UUID-03', 'UUID-04']) expect(byId[id]?.reason).toMatch(/libvirt/);
    expect(certificate.sut.versions['qemu (source)']).toMatch(/^7\.2/);
    expect(certificate.sut.versions['qemu (destination)']).toMatch(/^10\.0/);
    expect(byId['SHU-03']?.measurements.transferredBytes).toBeLessThan(byId['SHU-03']?.measurements.guestRamBytes ?? 0);
    expect(qemuProcesses()).toBe(0);
  }, 600_000);

  it('judges a management layer on a failed upgrade: one that declares the guest lost passes, one that resumes the old QEMU on RAM the new one changed fails (SHU-05)', async () => {
    const manager = 'harness/cli/fixtures/drivers/policy-manager.ts';
    const good = await cutover([
      'scenario',
      'scenarios/shu/failed-after-handover.yaml',
      '--driver',
      manager,
      '--out',
      await mkdtemp(join(tmpdir(), 'cutover-e2e-')),
    ]);
    expect(good.stdout, good.stderr).toMatch(/PASS {2}SHU-05: the guest was lost, and nothing pretends otherwise/);
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const result = await cutover([
      'scenario',
      'scenarios/shu/failed-after-handover.yaml',
      '--driver',
      manager,
      '--driver-option',
      'onDestinationLoss=resume-source',
      '--out',
      out,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}SHU-05: the old QEMU was resumed on RAM the new QEMU had already changed/);
    expect(qemuProcesses()).toBe(0);
  }, 180_000);
});
