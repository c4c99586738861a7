import { describe, expect, it } from 'vitest';
import { aptInstallArgv, installedPackages, installFix, isInstalledStatus, sudoInstallCommand } from './apt.ts';
import { dpkgAnswers, fakeRunner, result } from './fakes.ts';

describe('isInstalledStatus', () => {
  it.each([
    ['install ok installed', true],
    ['hold ok installed', true],
    ['deinstall ok config-files', false],
    ['install ok half-configured', false],
    ['install ok unpacked', false],
    ['unknown ok not-installed', false],
    ['', false],
  ])('%j -> %s', (status, installed) => {
    expect(isInstalledStatus(status)).toBe(installed);
  });
});

describe('installedPackages', () => {
  it('asks dpkg-query once per package and treats "no packages found" as missing', async () => {
    const run = fakeRunner(dpkgAnswers(['nasm'], ['nasm', 'xvfb']));
    const status = await installedPackages(['nasm', 'xvfb', 'nasm'], run);
    expect(Object.fromEntries(status)).toEqual({ nasm: true, xvfb: false });
    expect(run.calls.map((c) => c.argv)).toEqual([
      ['dpkg-query', '-W', '-f=${Status}', 'nasm'],
      ['dpkg-query', '-W', '-f=${Status}', 'xvfb'],
    ]);
  });

  it('a removed package with config files left is missing', async () => {
    const run = fakeRunner({ 'dpkg-query -W -f=${Status} xvfb': result({ stdout: 'deinstall ok config-files' }) });
    expect((await installedPackages(['xvfb'], run)).get('xvfb')).toBe(false);
  });

  it('fails clearly without dpkg', async () => {
    await expect(installedPackages(['nasm'], fakeRunner({}))).rejects.toThrow(/dpkg-query/);
  });
});

describe('commands', () => {
  it('installs without recommends and waits for the dpkg lock', () => {
    expect(aptInstallArgv(['xvfb', 'xauth'])).toEqual([
      'apt-get',
      '-o',
      'DPkg::Lock::Timeout=120',
      'install',
      '-y',
      '--no-install-recommends',
      'xvfb',
      'xauth',
    ]);
  });

  it('gives a non-root user the exact sudo command', () => {
    expect(sudoInstallCommand(['virt-viewer', 'xvfb'])).toBe(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends virt-viewer xvfb',
    );
  });

  it('doctor fixes use sudo only when not root', () => {
    expect(installFix(['nasm'], true)).toBe('apt-get update && apt-get install -y nasm');
    expect(installFix(['nasm'], false)).toBe('sudo apt-get update && sudo apt-get install -y nasm');
  });
});
