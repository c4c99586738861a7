import { describe, expect, it } from 'vitest';
import { EMULATED_BUGS } from '../hosts/emulated/bugs.ts';
import { variantPlays } from './mutants.ts';

const ids = new Set(['MIG-01', 'MIG-02', 'MIG-05', 'SHU-01', 'P2P-01']);
const played = (plays: ReadonlyArray<{ driver: string; variant: string; requirements: ReadonlyArray<string> }>) =>
  plays.map((p) => `${p.driver}/${p.variant}: ${p.requirements.join(',')}`);

describe('the mutation matrix: which variant runs it plays', () => {
  it("plays a variant only against what passed on that driver's correct run; the daemon's bugs only under the emulated driver", () => {
    // As at --time-scale 10: MIG-05 is not judged; the emulated daemon refuses SHU-01's same-host migration.
    const passed = { qemu: new Set(['MIG-01', 'MIG-02', 'SHU-01']), emulated: new Set(['MIG-01', 'MIG-02', 'P2P-01']) };
    const plan = variantPlays(ids, (driver) => passed[driver], false);
    expect(played(plan.plays)).toEqual([
      'qemu/no-setup-event: MIG-01',
      'qemu/stale-final-pages: MIG-02,SHU-01',
      'emulated/no-setup-event: MIG-01',
      'emulated/stale-final-pages: MIG-02',
      'emulated/deadlocks-crossed-p2p: P2P-01',
    ]);
    expect(played(plan.left)).toEqual(['qemu/ignores-downtime-limit: ', 'emulated/ignores-downtime-limit: ']);
    expect('in' in EMULATED_BUGS['deadlocks-crossed-p2p']).toBe(true);
  });

  it('with eachOnce, a variant plays a requirement on the first driver that passed it only', () => {
    const passed = { qemu: new Set(['MIG-01', 'MIG-02', 'SHU-01']), emulated: new Set(['MIG-01', 'MIG-02', 'P2P-01']) };
    const plan = variantPlays(ids, (driver) => passed[driver], true);
    expect(played(plan.plays)).toEqual([
      'qemu/no-setup-event: MIG-01',
      'qemu/stale-final-pages: MIG-02,SHU-01',
      'emulated/deadlocks-crossed-p2p: P2P-01',
    ]);
    // Where the qemu driver did not pass it, the emulated driver plays it.
    const onlyEmulated = variantPlays(ids, (driver) => (driver === 'qemu' ? new Set<string>() : passed.emulated), true);
    expect(played(onlyEmulated.plays)).toContain('emulated/no-setup-event: MIG-01');
  });
});
