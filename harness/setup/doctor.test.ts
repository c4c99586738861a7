import { describe, expect, it } from 'vitest';
import { doctorOk, fixFor, formatDoctor, inspectMachine, type Check, type MachineFacts } from './doctor.ts';
import { fakeProbeDeps, fakeRunner, result } from './fakes.ts';
import { PREREQUISITES, type Prerequisite } from './prerequisites.ts';

const root: MachineFacts = { root: true, systemd: false };
const user: MachineFacts = { root: false, systemd: false };

function row(id: string): Prerequisite {
  const p = PREREQUISITES.find((r) => r.id === id);
  if (p === undefined) throw new Error(`no row ${id}`);
  return p;
}

// This machine as the brief describes it: QEMU, nasm, java; a docker client, no engine.
const machine = fakeRunner({
  'qemu-system-x86_64 --version': result({
    stdout: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n',
  }),
  'qemu-img --version': result({ stdout: 'qemu-img version 7.2.22 (Debian)\n' }),
  'nasm -v': result({ stdout: 'NASM version 2.16.01\n' }),
  'java -version': result({ stderr: 'openjdk version "17.0.15" 2025-04-15\n' }),
  'setpriv --version': result({ stdout: 'setpriv from util-linux 2.38.1\n' }),
  'docker info': result({ code: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n' }),
});

const onPath = ['qemu-system-x86_64', 'qemu-img', 'nasm', 'java', 'setpriv', 'docker'];

describe('inspectMachine', () => {
  it('checks every row, concurrently, with fixes for the gaps', async () => {
    const checks = await inspectMachine({
      deps: fakeProbeDeps(machine, { executables: onPath, devices: { '/dev/kvm': 'OK' } }),
      facts: root,
    });
    expect(checks.map((c) => c.id)).toEqual(PREREQUISITES.map((p) => p.id));
    const byId = new Map(checks.map((c) => [c.id, c]));
    expect(byId.get('qemu')).toMatchObject({ present: true, version: '7.2.22', required: true });
    expect(byId.get('java')).toMatchObject({ present: true, version: '17.0.15', required: false });
    expect(byId.get('kvm')).toMatchObject({ present: true, required: false });
    expect(byId.get('docker-engine')).toMatchObject({
      present: false,
      fix: 'apt-get update && apt-get install -y docker.io && (nohup dockerd >/var/log/dockerd.log 2>&1 &)',
    });
    expect(byId.get('xvfb')?.fix).toBe('apt-get update && apt-get install -y xvfb xauth');
    expect(doctorOk(checks)).toBe(false);
  });

  it('limits itself to the families asked for', async () => {
    const checks = await inspectMachine({
      families: ['mig'],
      deps: fakeProbeDeps(machine, { executables: onPath }),
      facts: root,
    });
    expect(checks.map((c) => c.id)).toEqual(['qemu', 'qemu-img', 'kvm', 'nasm', 'java', 'setpriv']);
    // KVM is optional: TCG is the fallback, so mig is ready without it.
    expect(checks.find((c) => c.id === 'kvm')).toMatchObject({
      present: false,
      detail: expect.stringContaining('TCG'),
    });
    expect(doctorOk(checks)).toBe(true);
  });

  it('rejects an unknown family', async () => {
    await expect(inspectMachine({ families: ['nope'], deps: fakeProbeDeps(machine), facts: root })).rejects.toThrow(
      /unknown family: nope/,
    );
  });
});

describe('fixFor', () => {
  const docker = row('docker-engine');
  it('starts an installed daemon: in the background without systemd, by systemctl with it', () => {
    const down = { present: false, installed: true, problem: 'not-running' as const };
    expect(fixFor(docker, down, root)).toBe('(nohup dockerd >/var/log/dockerd.log 2>&1 &)');
    expect(fixFor(docker, down, user)).toBe(`sudo sh -c '(nohup dockerd >/var/log/dockerd.log 2>&1 &)'`);
    expect(fixFor(docker, down, { root: true, systemd: true })).toBe('systemctl start docker');
  });

  it('with systemd the package starts the daemon itself', () => {
    const none = { present: false, installed: false, problem: 'no-daemon' as const };
    expect(fixFor(docker, none, { root: false, systemd: true })).toBe(
      'sudo apt-get update && sudo apt-get install -y docker.io',
    );
  });

  it('group membership for permission problems', () => {
    expect(fixFor(docker, { present: false, installed: true, problem: 'no-permission' }, user)).toBe(
      'sudo usermod -aG docker "$USER"  # then log in again',
    );
    expect(fixFor(row('kvm'), { present: false, installed: true, problem: 'no-permission' }, user)).toBe(
      'sudo usermod -aG kvm "$USER"  # then log in again',
    );
  });

  it('nothing to install for a missing device or a present tool', () => {
    expect(fixFor(row('kvm'), { present: false, installed: false, problem: 'absent' }, root)).toBeUndefined();
    expect(fixFor(row('nasm'), { present: true, installed: true }, root)).toBeUndefined();
  });
});

describe('formatDoctor', () => {
  const checks: Check[] = [
    { id: 'qemu', purpose: 'runs guests', present: true, version: '7.2.22', required: true },
    {
      id: 'java',
      purpose: 'Allure HTML',
      present: false,
      required: false,
      detail: 'java not found on PATH',
      fix: 'apt-get update && apt-get install -y default-jre-headless',
    },
    {
      id: 'xvfb',
      purpose: 'display',
      present: false,
      required: true,
      detail: 'Xvfb not found on PATH',
      fix: 'apt-get update && apt-get install -y xvfb xauth',
    },
  ];

  it('aligns status, id and version columns and puts the fix below', () => {
    expect(formatDoctor(checks)).toBe(
      [
        'ok                  qemu  7.2.22  runs guests',
        'missing (optional)  java  -       java not found on PATH',
        '                    fix: apt-get update && apt-get install -y default-jre-headless',
        'MISSING             xvfb  -       Xvfb not found on PATH',
        '                    fix: apt-get update && apt-get install -y xvfb xauth',
        '1/3 present; missing: xvfb; optional missing: java — not ready: run `npx cutover setup` or the fixes above.',
      ].join('\n'),
    );
  });

  it('says ready when only optional pieces are missing', () => {
    const last = formatDoctor(checks.slice(0, 2)).split('\n').at(-1);
    expect(last).toBe('1/2 present; optional missing: java — ready.');
  });

  it('does not suggest setup when no package would help', () => {
    const down: Check = {
      id: 'docker-engine',
      purpose: 'hosts',
      present: false,
      required: true,
      detail: 'dockerd installed but not running',
      fix: '(nohup dockerd >/var/log/dockerd.log 2>&1 &)',
    };
    expect(formatDoctor([down]).split('\n').at(-1)).toBe(
      '0/1 present; missing: docker-engine — not ready: run the fixes above.',
    );
  });
});

describe('summaryLine', () => {
  it('points at the details when there is nothing to run', () => {
    const hung: Check = {
      id: 'nasm',
      purpose: 'guest',
      present: false,
      required: true,
      detail: 'nasm -v did not answer within 5 s',
    };
    expect(formatDoctor([hung]).split('\n').at(-1)).toBe(
      '0/1 present; missing: nasm — not ready: see the details above.',
    );
  });
});
