import { describe, expect, test } from 'vitest';
import { driverOption } from './driver-options.ts';

describe('--driver-option', () => {
  test('collects keys, reading values as YAML scalars', () => {
    const options = driverOption('p2p=false', driverOption('onDestinationLoss=resume-source'));
    expect(options).toEqual({ onDestinationLoss: 'resume-source', p2p: false });
    expect(driverOption('binary=/opt/qemu/bin/qemu-system-x86_64')).toEqual({
      binary: '/opt/qemu/bin/qemu-system-x86_64',
    });
  });

  test('a flag without key=value says how to write it', () => {
    expect(() => driverOption('resume-source')).toThrow(/not key=value.*e\.g\./);
  });
});
