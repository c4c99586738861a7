import { describe, expect, it } from 'vitest';
import { flagsFrom, migrateFlags } from './migrate-flags.ts';

describe('virsh migrate options', () => {
  it('are live, peer to peer and unsafe by default; scenario options turn them off', () => {
    expect(migrateFlags(flagsFrom({}), { transport: 'tcp' })).toEqual(['--live', '--p2p', '--unsafe']);
    expect(migrateFlags(flagsFrom({ p2p: false, unsafe: false, tunnelled: true }), { transport: 'tcp' })).toEqual([
      '--live',
      '--tunnelled',
    ]);
  });

  it("ask for post-copy and a storage copy, bandwidths in MiB/s (the storage copy runs at the migration's)", () => {
    const args = migrateFlags(flagsFrom({}), {
      transport: 'tcp',
      postcopy: true,
      postcopyBandwidth: 2 * 2 ** 20,
      storage: { mode: 'mirror-before', bandwidth: 4 * 2 ** 20 },
    });
    expect(args).toEqual([
      '--live',
      '--p2p',
      '--unsafe',
      '--bandwidth',
      '4',
      '--postcopy',
      '--postcopy-bandwidth',
      '2',
      '--copy-storage-all',
    ]);
  });
});
