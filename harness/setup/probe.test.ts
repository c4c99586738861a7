import { describe, expect, it } from 'vitest';
import { ENOENT, fakeProbeDeps, fakeRunner, result } from './fakes.ts';
import { PREREQUISITES, type Prerequisite } from './prerequisites.ts';
import { parseVersion, probe } from './probe.ts';

function row(id: string): Prerequisite {
  const p = PREREQUISITES.find((r) => r.id === id);
  if (p === undefined) throw new Error(`no row ${id}`);
  return p;
}

function pattern(id: string): RegExp {
  const d = row(id).detect;
  if (d.kind === 'device') throw new Error(`${id} has no version pattern`);
  return d.pattern;
}

describe('parseVersion with the table patterns', () => {
  const samples: Array<[string, string, string]> = [
    [
      'qemu',
      'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard',
      '7.2.22',
    ],
    ['qemu', 'QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-1)\n', '10.0.2'],
    ['qemu-img', 'qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n', '7.2.22'],
    ['nasm', 'NASM version 2.16.01\n', '2.16.01'],
    [
      'java',
      'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)',
      '17.0.15',
    ],
    ['java', 'openjdk version "1.8.0_412"\n', '1.8.0_412'],
    ['setpriv', 'setpriv from util-linux 2.38.1\n', '2.38.1'],
    ['docker-engine', '20.10.24+dfsg1\n', '20.10.24+dfsg1'],
    ['debootstrap', 'debootstrap 1.0.128+nmu2+deb12u2\n', '1.0.128+nmu2+deb12u2'],
    ['libvirt-client', '9.0.0\n', '9.0.0'],
    ['remote-viewer', 'remote-viewer version 11.0\n', '11.0'],
    ['xvfb', '\nX.Org X Server 1.21.1.7\nX Protocol Version 11, Revision 0\n', '1.21.1.7'],
  ];
  it.each(samples)('%s: %j', (id, output, version) => {
    expect(parseVersion(output, pattern(id))).toBe(version);
  });

  it('finds nothing in unrelated output', () => {
    expect(
      parseVersion('Cannot connect to the Docker daemon at unix:///var/run/docker.sock.', pattern('docker-engine')),
    ).toBeUndefined();
    expect(parseVersion('', pattern('qemu'))).toBeUndefined();
  });
});

describe('probe: commands', () => {
  it('reads the version from stderr (java)', async () => {
    const run = fakeRunner({ 'java -version': result({ stderr: 'openjdk version "17.0.15" 2025-04-15\n' }) });
    expect(await probe(row('java'), fakeProbeDeps(run))).toEqual({
      present: true,
      installed: true,
      version: '17.0.15',
    });
  });

  it('reports a binary that is not on PATH as absent', async () => {
    const r = await probe(row('nasm'), fakeProbeDeps(fakeRunner({})));
    expect(r).toMatchObject({ present: false, installed: false, problem: 'absent' });
  });

  it('looks on PATH before running, so a spawn EACCES from an unreadable PATH folder is not "installed"', async () => {
    const run = fakeRunner({ 'Xvfb -version': result({ code: null, spawnError: 'EACCES' }) });
    const r = await probe(row('xvfb'), fakeProbeDeps(run, { executables: [] }));
    expect(r).toMatchObject({ present: false, installed: false, problem: 'absent', detail: 'Xvfb not found on PATH' });
    expect(run.calls).toEqual([]);
  });

  it('reports a hanging binary as timeout, installed', async () => {
    const run = fakeRunner({ 'virsh --version': result({ code: null, timedOut: true }) });
    const r = await probe(row('libvirt-client'), fakeProbeDeps(run));
    expect(r).toMatchObject({ present: false, installed: true, problem: 'timeout' });
  });

  it('bounds a runner that never answers', async () => {
    const never = async (): Promise<never> => new Promise<never>(() => {});
    const started = Date.now();
    const r = await probe(row('qemu'), { ...fakeProbeDeps(never), timeoutMs: 20 });
    expect(r).toMatchObject({ present: false, problem: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('passes the deadline to the runner', async () => {
    const run = fakeRunner({ 'qemu-img --version': result({ stdout: 'qemu-img version 7.2.22\n' }) });
    await probe(row('qemu-img'), fakeProbeDeps(run, { timeoutMs: 1234 }));
    expect(run.calls[0]?.opts.timeoutMs).toBe(1234);
  });
});

describe('probe: docker engine', () => {
  const info = 'docker info --format {{.ServerVersion}}';
  const down = result({
    code: 1,
    stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
  });

  it('is present only when the daemon answers', async () => {
    const run = fakeRunner({ [info]: result({ stdout: '20.10.24+dfsg1\n' }) });
    expect(await probe(row('docker-engine'), fakeProbeDeps(run, { executables: ['docker', 'dockerd'] }))).toEqual({
      present: true,
      installed: true,
      version: '20.10.24+dfsg1',
    });
  });

  it('a client alone is not an engine, and is not "installed"', async () => {
    const r = await probe(
      row('docker-engine'),
      fakeProbeDeps(fakeRunner({ [info]: down }), { executables: ['docker'] }),
    );
    expect(r).toMatchObject({ present: false, installed: false, problem: 'no-daemon' });
  });

  it('dockerd installed but down', async () => {
    const r = await probe(
      row('docker-engine'),
      fakeProbeDeps(fakeRunner({ [info]: down }), { executables: ['docker', 'dockerd'] }),
    );
    expect(r).toMatchObject({ present: false, installed: true, problem: 'not-running' });
  });

  it('socket permission denied', async () => {
    const denied = result({
      code: 1,
      stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n',
    });
    const r = await probe(
      row('docker-engine'),
      fakeProbeDeps(fakeRunner({ [info]: denied }), { executables: ['docker', 'dockerd'] }),
    );
    expect(r).toMatchObject({ present: false, installed: true, problem: 'no-permission' });
  });

  it('nothing at all', async () => {
    const run = fakeRunner({ [info]: ENOENT });
    const r = await probe(row('docker-engine'), fakeProbeDeps(run, { executables: [] }));
    expect(r).toMatchObject({
      present: false,
      installed: false,
      problem: 'absent',
      detail: 'neither docker nor dockerd found',
    });
    expect(run.calls).toEqual([]);
  });
});

describe('probe: /dev/kvm', () => {
  const run = fakeRunner({});
  it('present when it opens read-write', async () => {
    expect(await probe(row('kvm'), fakeProbeDeps(run, { devices: { '/dev/kvm': 'OK' } }))).toMatchObject({
      present: true,
    });
  });
  it('absent device', async () => {
    expect(await probe(row('kvm'), fakeProbeDeps(run))).toMatchObject({
      present: false,
      installed: false,
      problem: 'absent',
    });
  });
  it('no access', async () => {
    const r = await probe(row('kvm'), fakeProbeDeps(run, { devices: { '/dev/kvm': 'EACCES' } }));
    expect(r).toMatchObject({ present: false, installed: true, problem: 'no-permission' });
  });
});
