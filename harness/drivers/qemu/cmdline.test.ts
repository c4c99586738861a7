import { describe, expect, it } from 'vitest';
import { accelArgs, qemuArgs } from './cmdline.ts';

const spec = {
  name: 'g1',
  uuid: '6a9c1f3e-0000-4000-8000-000000000001',
  bootImage: '/img',
  memoryMiB: 128,
  serialSocket: '/run/s.sock',
  accel: 'auto' as const,
};

describe('qemu command line', () => {
  it('picks KVM with a TCG fallback only when KVM is usable', () => {
    expect(accelArgs('auto', true)).toEqual(['-accel', 'kvm', '-accel', 'tcg']);
    expect(accelArgs('auto', false)).toEqual(['-accel', 'tcg']);
    expect(accelArgs('tcg', true)).toEqual(['-accel', 'tcg']);
  });
  it('waits for an incoming migration only on the destination', () => {
    const src = qemuArgs({ spec, bootImage: '/a.img', qmpSocket: '/q', incoming: false, kvmUsable: false });
    const dst = qemuArgs({ spec, bootImage: '/b.img', qmpSocket: '/q', incoming: true, kvmUsable: false });
    expect(src).not.toContain('-incoming');
    expect(dst.slice(-2)).toEqual(['-incoming', 'defer']);
    expect(src).toContain('socket,id=serial0,path=/run/s.sock');
    expect(src).not.toContain('-daemonize');
  });
  it('maps shared RAM from a file, and leaves -uuid out when the guest has none', () => {
    const { uuid: _unset, ...noUuid } = spec;
    const args = qemuArgs({
      spec: noUuid,
      bootImage: '/a.img',
      qmpSocket: '/q',
      incoming: false,
      kvmUsable: false,
      sharedMemoryPath: '/dev/shm/r',
    });
    expect(args).not.toContain('-uuid');
    expect(args).toContain('pc,memory-backend=ram0');
    expect(args).toContain('memory-backend-file,id=ram0,size=128M,mem-path=/dev/shm/r,share=on');
  });
});
