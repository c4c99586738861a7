import { describe, expect, it } from 'vitest';
import type { MachineFacts } from './doctor.ts';
import { dpkgAnswers, fakeProbeDeps, fakeRunner, result } from './fakes.ts';
import { PREREQUISITES } from './prerequisites.ts';
import type { RunResult } from '../util/command.ts';
import { runSetup, SetupError, type SetupStep } from './setup.ts';

const root: MachineFacts = { root: true, systemd: false };
const user: MachineFacts = { root: false, systemd: false };
const allPackages = [...new Set(PREREQUISITES.flatMap((p) => p.packages))];
const required = [...new Set(PREREQUISITES.filter((p) => p.required).flatMap((p) => p.packages))];
const present = ['qemu-system-x86', 'qemu-utils', 'nasm', 'util-linux'];

function apt(calls: Array<{ argv: string[] }>): string[][] {
  return calls.map((c) => c.argv).filter((argv) => argv[0] === 'apt-get');
}

function harness(installed: readonly string[], extra: Record<string, RunResult> = {}) {
  const run = fakeRunner({ ...dpkgAnswers(installed, allPackages), ...extra });
  const lines: string[] = [];
  return { run, lines, log: (l: string) => lines.push(l), probeDeps: fakeProbeDeps(fakeRunner({})) };
}

describe('runSetup: nothing to do', () => {
  it('asks dpkg only and never touches apt', async () => {
    const h = harness(required);
    const res = await runSetup({ log: h.log, run: h.run, probeDeps: h.probeDeps, facts: user, steps: [] });
    expect(res).toEqual({ installed: [], alreadyPresent: required, commands: [] });
    expect(apt(h.run.calls)).toEqual([]);
    expect(h.run.calls.every((c) => c.argv[0] === 'dpkg-query')).toBe(true);
  });

  it('counts a tool found outside its package as present (java from openjdk-17)', async () => {
    const h = harness(required);
    const probeDeps = fakeProbeDeps(fakeRunner({ 'java -version': result({ stderr: 'openjdk version "17.0.15"\n' }) }));
    const res = await runSetup({ log: h.log, run: h.run, probeDeps, facts: root, includeOptional: true, steps: [] });
    expect(res.installed).toEqual([]);
    expect(res.alreadyPresent).toContain('default-jre-headless');
    expect(apt(h.run.calls)).toEqual([]);
    expect(h.lines.join('\n')).toMatch(/java 17\.0\.15 found/);
  });

  it('leaves optional packages alone unless asked', async () => {
    const h = harness(required);
    await runSetup({ log: h.log, run: h.run, probeDeps: h.probeDeps, facts: root, steps: [] });
    expect(h.run.calls.some((c) => c.argv.includes('default-jre-headless'))).toBe(false);
  });
});

describe('runSetup: packages missing', () => {
  it('not root: throws SetupError carrying the exact sudo command, runs no apt', async () => {
    const h = harness(present);
    const err = await runSetup({
      families: ['spice'],
      log: h.log,
      run: h.run,
      probeDeps: h.probeDeps,
      facts: user,
      steps: [],
    }).catch((e: unknown) => e);
    const command = 'sudo apt-get update && sudo apt-get install -y --no-install-recommends virt-viewer xvfb xauth';
    expect(err).toBeInstanceOf(SetupError);
    expect((err as SetupError).message).toContain(command);
    expect((err as SetupError).info.command).toBe(command);
    expect(h.lines.join('\n')).toContain(command);
    expect(apt(h.run.calls)).toEqual([]);
  });

  it('not root, dry run: returns the command instead of throwing', async () => {
    const h = harness(present);
    const res = await runSetup({
      families: ['spice'],
      dryRun: true,
      log: h.log,
      run: h.run,
      probeDeps: h.probeDeps,
      facts: user,
      steps: [],
    });
    expect(res.commands).toEqual([
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends virt-viewer xvfb xauth',
    ]);
  });

  it('root, dry run: reports update and install, runs neither', async () => {
    const h = harness(present);
    const res = await runSetup({
      families: ['p2p'],
      dryRun: true,
      log: h.log,
      run: h.run,
      probeDeps: h.probeDeps,
      facts: root,
      steps: [],
    });
    expect(res).toEqual({
      installed: [],
      alreadyPresent: present,
      commands: [
        'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update',
        'DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends docker.io debootstrap libvirt-clients',
      ],
    });
    expect(apt(h.run.calls)).toEqual([]);
  });

  it('root: one update, one install, non-interactive and bounded, then checks dpkg again', async () => {
    let installedNow: readonly string[] = present;
    const dpkg = (pkg: string) => (): RunResult =>
      installedNow.includes(pkg)
        ? result({ stdout: 'install ok installed' })
        : result({ code: 1, stderr: 'no packages found' });
    const answers: Record<string, () => RunResult> = {};
    for (const pkg of allPackages) answers[`dpkg-query -W -f=\${Status} ${pkg}`] = dpkg(pkg);
    answers['apt-get -o DPkg::Lock::Timeout=120 update'] = () => result({ stdout: 'Reading package lists...\n' });
    answers['apt-get -o DPkg::Lock::Timeout=120 install'] = (): RunResult => {
      installedNow = [...present, 'virt-viewer', 'xvfb', 'xauth'];
      return result({ stdout: 'Setting up xvfb (2:21.1.7-3+deb12u13) ...\n' });
    };
    const run = fakeRunner(answers);
    const lines: string[] = [];
    const res = await runSetup({
      families: ['spice'],
      log: (l) => lines.push(l),
      run,
      probeDeps: fakeProbeDeps(fakeRunner({})),
      facts: root,
      steps: [],
    });

    expect(res.installed).toEqual(['virt-viewer', 'xvfb', 'xauth']);
    const aptCalls = run.calls.filter((c) => c.argv[0] === 'apt-get');
    expect(aptCalls.map((c) => c.argv.slice(3))).toEqual([
      ['update'],
      ['install', '-y', '--no-install-recommends', 'virt-viewer', 'xvfb', 'xauth'],
    ]);
    for (const c of aptCalls) {
      expect(c.opts.env?.DEBIAN_FRONTEND).toBe('noninteractive');
      expect(c.opts.timeoutMs).toBeGreaterThan(0);
      expect(c.opts.timeoutMs).toBeLessThanOrEqual(15 * 60_000);
    }
    // the runner's progress callback is what turns apt lines into log lines
    aptCalls[1]?.opts.onLine?.('Setting up xvfb (2:21.1.7-3+deb12u13) ...');
    aptCalls[1]?.opts.onLine?.('Setting up libgtk-3-0:amd64 (3.24.38-2~deb12u3) ...');
    expect(lines).toContain('  set up xvfb');
    expect(lines.some((l) => l.includes('libgtk'))).toBe(false);
    expect(lines.some((l) => l.startsWith('installed virt-viewer xvfb xauth'))).toBe(true);
  });

  it("apt failure: SetupError names the packages and ends with apt's last lines", async () => {
    const output = 'Reading package lists...\nE: Unable to locate package virt-viewer\n';
    const h = harness(present, {
      'apt-get -o DPkg::Lock::Timeout=120 update': result(),
      'apt-get -o DPkg::Lock::Timeout=120 install': result({ code: 100, output }),
    });
    const err = await runSetup({
      families: ['spice'],
      log: h.log,
      run: h.run,
      probeDeps: h.probeDeps,
      facts: root,
      steps: [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupError);
    const e = err as SetupError;
    expect(e.message).toContain('apt-get install failed for virt-viewer xvfb xauth: exit code 100');
    expect(e.message).toContain('E: Unable to locate package virt-viewer');
    expect(e.info.outputTail?.at(-1)).toBe('E: Unable to locate package virt-viewer');
  });

  it('apt timeout says so', async () => {
    const h = harness(present, {
      'apt-get -o DPkg::Lock::Timeout=120 update': result({ code: null, timedOut: true }),
    });
    await expect(
      runSetup({ families: ['spice'], log: h.log, run: h.run, probeDeps: h.probeDeps, facts: root, steps: [] }),
    ).rejects.toThrow(/apt-get update failed for virt-viewer xvfb xauth: timed out after 5 min/);
  });
});

describe('runSetup: extra steps', () => {
  it('runs registered steps after the packages, filtered by family; only names them in a dry run', async () => {
    const ran: string[] = [];
    const steps: SetupStep[] = [
      {
        name: 'guest image',
        run: async (log) => {
          ran.push('guest');
          log('built');
        },
      },
      {
        name: 'host image',
        families: ['p2p'],
        run: async () => {
          ran.push('host');
        },
      },
    ];
    const h = harness(required);
    await runSetup({ families: ['mig'], log: h.log, run: h.run, probeDeps: h.probeDeps, facts: root, steps });
    expect(ran).toEqual(['guest']);
    expect(h.lines).toContain('built');

    const dry = harness(required);
    await runSetup({ dryRun: true, log: dry.log, run: dry.run, probeDeps: dry.probeDeps, facts: root, steps });
    expect(ran).toEqual(['guest']);
    expect(dry.lines).toEqual(expect.arrayContaining(['would run step: guest image', 'would run step: host image']));
  });

  it('a failing step is a SetupError naming it', async () => {
    const h = harness(required);
    const steps: SetupStep[] = [
      {
        name: 'guest image',
        run: async () => {
          throw new Error('nasm: error');
        },
      },
    ];
    await expect(runSetup({ log: h.log, run: h.run, probeDeps: h.probeDeps, facts: root, steps })).rejects.toThrow(
      /setup step guest image failed: nasm: error/,
    );
  });
});
