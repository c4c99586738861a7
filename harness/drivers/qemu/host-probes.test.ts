import { describe, expect, it } from 'vitest';
import type { ExecResult, Host } from '../../hosts/types.ts';
import { emulatorFor, HostProbes } from './host-probes.ts';

/** A host whose `exec` answers from a table and counts what it was asked. */
function fakeHost(answers: Record<string, ExecResult | Error>): Host & { asked: string[] } {
  const asked: string[] = [];
  return {
    name: 'alpha',
    kind: 'container',
    workDir: '/tmp',
    memoryDir: '/tmp',
    address: '10.0.0.2',
    description: {},
    emulators: async () => [],
    spawn: () => {
      throw new Error('not here');
    },
    collectLogs: async () => [],
    close: async () => {},
    asked,
    exec: async (argv) => {
      const key = argv.join(' ');
      asked.push(key);
      const answer = answers[key];
      if (!answer) return { code: 127, stdout: '', stderr: 'not found' };
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('what the qemu driver asks of a host', () => {
  it('asks the host itself whether KVM works, once', async () => {
    const host = fakeHost({ 'test -w /dev/kvm': { code: 1, stdout: '', stderr: '' } });
    const probes = new HostProbes();
    expect(await probes.kvmUsable(host)).toBe(false);
    expect(await probes.kvmUsable(host)).toBe(false);
    expect(host.asked).toEqual(['test -w /dev/kvm']);
  });

  it('finds SPICE in what -spice help prints (it exits 1 all the same)', async () => {
    const emulator = { command: 'qemu-system-x86_64', prefixArgs: [] };
    const withSpice = fakeHost({
      'qemu-system-x86_64 -spice help': {
        code: 1,
        stdout: '',
        stderr: 'spice options:\n  seamless-migration=<bool>\n',
      },
    });
    const without = fakeHost({
      'qemu-system-x86_64 -spice help': {
        code: 1,
        stdout: '',
        stderr: "qemu-system-x86_64: -spice help: There is no option group 'spice'\n",
      },
    });
    expect(await new HostProbes().hasSpice(withSpice, emulator)).toBe(true);
    expect(await new HostProbes().hasSpice(without, emulator)).toBe(false);
  });

  it("reads a vendor binary's version on the host, and says so in one line when it is not there", async () => {
    const host = fakeHost({
      '/opt/qemu/bin/qemu --version': { code: 0, stdout: 'QEMU emulator version 9.2.1 (vendor)\n', stderr: '' },
    });
    expect(await emulatorFor(host, '/opt/qemu/bin/qemu', new HostProbes())).toMatchObject({
      command: '/opt/qemu/bin/qemu',
      version: '9.2.1',
    });
    const missing = fakeHost({ '/opt/none --version': Object.assign(new Error('not found'), { code: 'ENOENT' }) });
    await expect(emulatorFor(missing, '/opt/none', new HostProbes())).rejects.toThrow(
      /QEMU not found on alpha: '\/opt\/none' is not installed/,
    );
  });
});
