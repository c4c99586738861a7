import { describe, expect, it } from 'vitest';
import { qemuArgs } from '../../drivers/qemu/cmdline.ts';
import { parseLaunch } from './cmdline.ts';

// The emulated QEMU reads what cutover's qemu driver writes: tested on the driver's own output.
const spec = { name: 'g1', uuid: '6a9c1f3e-0000-4000-8000-000000000001', bootImage: '/img', memoryMiB: 128, serialSocket: '/run/s.sock', accel: 'auto' as const };

describe('emulated QEMU command line', () => {
  it('takes name, UUID, RAM, monitor and serial from the qemu driver\'s command line', () => {
    const launch = parseLaunch(qemuArgs({ spec, bootImage: '/a.img', qmpSocket: '/q.sock', incoming: false, kvmUsable: false }));
    expect(launch).toMatchObject({ name: 'g1', uuid: spec.uuid, memoryMiB: 128, qmpSocket: '/q.sock', serialSocket: '/run/s.sock', incoming: false, dataDisk: false });
    expect(launch.sharedMemoryPath).toBeUndefined();
  });
  it('waits for an incoming migration, maps shared RAM, and sees the data disk', () => {
    const launch = parseLaunch(qemuArgs({
      spec, bootImage: '/b.img', qmpSocket: '/q.sock', incoming: true, kvmUsable: false, sharedMemoryPath: '/dev/shm/r',
      dataDisk: { kind: 'file', path: '/d.raw' },
    }));
    expect(launch).toMatchObject({ incoming: true, sharedMemoryPath: '/dev/shm/r', dataDisk: true });
  });
  it('keeps the data disk\'s -blockdev chain and its device\'s error policy', () => {
    const launch = parseLaunch(qemuArgs({
      spec, bootImage: '/b.img', qmpSocket: '/q.sock', incoming: true, kvmUsable: false,
      dataDisk: { kind: 'nbd-overlay', overlay: '/o.qcow2', nbd: { host: '127.0.0.1', port: 10809 }, errorPolicy: 'stop' },
    }));
    expect(launch.blockdevs).toEqual([
      { driver: 'nbd', 'node-name': 'data0-nbd', 'server.type': 'inet', 'server.host': '127.0.0.1', 'server.port': '10809', export: 'data0', 'read-only': 'on' },
      { driver: 'file', filename: '/o.qcow2', 'node-name': 'data0-overlay-file' },
      { driver: 'qcow2', 'node-name': 'data0-overlay', file: 'data0-overlay-file', backing: 'data0-nbd' },
      { driver: 'copy-on-read', 'node-name': 'data0', file: 'data0-overlay' },
    ]);
    expect(launch.disk).toEqual({ drive: 'data0', werror: 'stop', rerror: 'stop' });
    const plain = parseLaunch(qemuArgs({ spec, bootImage: '/b.img', qmpSocket: '/q.sock', incoming: false, kvmUsable: false, dataDisk: { kind: 'file', path: '/d.raw' } }));
    expect(plain.disk).toEqual({ drive: 'data0', werror: 'enospc', rerror: 'report' });
  });
  it('says which option lacks its argument, and needs a monitor', () => {
    expect(() => parseLaunch(['-name'])).toThrow("option '-name' needs an argument");
    expect(() => parseLaunch(['-m', '64M'])).toThrow('-qmp unix:<path>,server=on is required');
  });
});
