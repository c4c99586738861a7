import { describe, expect, it } from 'vitest';
import { qemuArgs } from '../../drivers/qemu/cmdline.ts';
import { parseChannel, parseLaunch } from './cmdline.ts';

// The emulated QEMU reads what cutover's qemu driver writes: tested on the driver's own output.
const spec = {
  name: 'g1',
  uuid: '6a9c1f3e-0000-4000-8000-000000000001',
  bootImage: '/img',
  memoryMiB: 128,
  serialSocket: '/run/s.sock',
  accel: 'auto' as const,
};

describe('emulated QEMU command line', () => {
  it("takes name, UUID, RAM, monitor and serial from the qemu driver's command line", () => {
    const launch = parseLaunch(
      qemuArgs({ spec, bootImage: '/a.img', qmpSocket: '/q.sock', incoming: false, kvmUsable: false }),
    );
    expect(launch).toMatchObject({
      name: 'g1',
      uuid: spec.uuid,
      memoryMiB: 128,
      qmpSocket: '/q.sock',
      serialSocket: '/run/s.sock',
      incoming: false,
      dataDisk: false,
    });
    expect(launch.sharedMemoryPath).toBeUndefined();
  });
  it('waits for an incoming migration, maps shared RAM, and sees the data disk', () => {
    const launch = parseLaunch(
      qemuArgs({
        spec,
        bootImage: '/b.img',
        qmpSocket: '/q.sock',
        incoming: true,
        kvmUsable: false,
        sharedMemoryPath: '/dev/shm/r',
        dataDisk: { kind: 'file', path: '/d.raw' },
      }),
    );
    expect(launch).toMatchObject({ incoming: true, sharedMemoryPath: '/dev/shm/r', dataDisk: true });
  });
  it("reads a cpr-transfer destination's two -incoming channel objects, and aux-ram-share", () => {
    const launch = parseLaunch(
      qemuArgs({
        spec: { ...spec, cpr: true },
        bootImage: '/c.img',
        qmpSocket: '/q.sock',
        incoming: true,
        kvmUsable: false,
        sharedMemoryPath: '/dev/shm/r',
        cprSocket: '/run/cpr-destination.sock',
      }),
    );
    expect(launch).toMatchObject({
      incoming: true,
      auxRamShare: true,
      sharedMemoryPath: '/dev/shm/r',
      incomingChannels: { main: 'unix:/run/cpr-destination-main.sock', cpr: '/run/cpr-destination.sock' },
    });
  });
  it('has no channels for -incoming defer, and no aux-ram-share unless asked', () => {
    const launch = parseLaunch(
      qemuArgs({ spec, bootImage: '/d.img', qmpSocket: '/q.sock', incoming: true, kvmUsable: false }),
    );
    expect(launch.incoming).toBe(true);
    expect(launch.incomingChannels).toBeUndefined();
    expect(launch.auxRamShare).toBe(false);
  });
  it("reads migration channels as QEMU's MigrationChannel objects, and refuses what it cannot emulate", () => {
    expect(
      parseChannel({
        'channel-type': 'main',
        addr: { transport: 'socket', type: 'inet', host: '127.0.0.1', port: '4444' },
      }),
    ).toEqual({ type: 'main', uri: 'tcp:127.0.0.1:4444' });
    expect(() => parseChannel({ 'channel-type': 'other', addr: {} })).toThrow(
      "Parameter 'channel-type' does not accept value 'other'",
    );
    expect(() => parseChannel({ 'channel-type': 'main', addr: { transport: 'file', filename: '/f' } })).toThrow(
      /not emulated/,
    );
    const cprOverTcp = JSON.stringify({
      'channel-type': 'cpr',
      addr: { transport: 'socket', type: 'inet', host: 'h', port: 1 },
    });
    expect(() => parseLaunch(['-qmp', 'unix:/q.sock,server=on', '-incoming', cprOverTcp])).toThrow(/UNIX socket/);
  });
  it("keeps the data disk's -blockdev chain and its device's error policy", () => {
    const launch = parseLaunch(
      qemuArgs({
        spec,
        bootImage: '/b.img',
        qmpSocket: '/q.sock',
        incoming: true,
        kvmUsable: false,
        dataDisk: {
          kind: 'nbd-overlay',
          overlay: '/o.qcow2',
          nbd: { host: '127.0.0.1', port: 10809 },
          errorPolicy: 'stop',
        },
      }),
    );
    expect(launch.blockdevs).toEqual([
      {
        driver: 'nbd',
        'node-name': 'data0-nbd',
        'server.type': 'inet',
        'server.host': '127.0.0.1',
        'server.port': '10809',
        export: 'data0',
        'read-only': 'on',
      },
      { driver: 'file', filename: '/o.qcow2', 'node-name': 'data0-overlay-file' },
      { driver: 'qcow2', 'node-name': 'data0-overlay', file: 'data0-overlay-file', backing: 'data0-nbd' },
      { driver: 'copy-on-read', 'node-name': 'data0', file: 'data0-overlay' },
    ]);
    expect(launch.disk).toEqual({ drive: 'data0', werror: 'stop', rerror: 'stop' });
    const plain = parseLaunch(
      qemuArgs({
        spec,
        bootImage: '/b.img',
        qmpSocket: '/q.sock',
        incoming: false,
        kvmUsable: false,
        dataDisk: { kind: 'file', path: '/d.raw' },
      }),
    );
    expect(plain.disk).toEqual({ drive: 'data0', werror: 'enospc', rerror: 'report' });
  });
  it('says which option lacks its argument, and needs a monitor', () => {
    expect(() => parseLaunch(['-name'])).toThrow("option '-name' needs an argument");
    expect(() => parseLaunch(['-m', '64M'])).toThrow('-qmp unix:<path>,server=on is required');
  });
});
