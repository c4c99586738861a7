import { describe, expect, it } from 'vitest';
import { containerHostsStep, extraSetupSteps, LIBVIRT_FAMILIES, runSetup } from './index.ts';
import { dpkgAnswers, fakeProbeDeps, fakeRunner } from './fakes.ts';
import { PREREQUISITES } from './prerequisites.ts';

const all = [...new Set(PREREQUISITES.flatMap((p) => p.packages))];

describe('container hosts setup step', () => {
  it('is registered once, for the libvirt families', () => {
    expect(extraSetupSteps.filter((s) => s === containerHostsStep)).toHaveLength(1);
    expect(containerHostsStep.families).toEqual(LIBVIRT_FAMILIES);
  });

  it('the libvirt families need docker.io, debootstrap and libvirt-clients on the host', () => {
    for (const pkg of ['docker.io', 'debootstrap', 'libvirt-clients']) {
      const row = PREREQUISITES.find((p) => p.packages.includes(pkg));
      expect(row?.families, pkg).toEqual(LIBVIRT_FAMILIES);
    }
  });

  it.each([
    [['p2p'], true],
    [['mig'], false],
  ])('a dry run for %j names it: %s', async (families, named) => {
    const lines: string[] = [];
    await runSetup({
      families,
      dryRun: true,
      log: (l) => lines.push(l),
      run: fakeRunner(dpkgAnswers(all, all)),
      probeDeps: fakeProbeDeps(fakeRunner({})),
      facts: { root: true, systemd: false },
    });
    expect(lines.includes(`would run step: ${containerHostsStep.name}`)).toBe(named);
  });
});
