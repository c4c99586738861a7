import { describe, expect, it } from 'vitest';
import { GUEST_LAYOUT, walkedRegions } from '../../guest/layout.ts';
import { checkPageWalk, readCounters } from '../../guest/memory-check.ts';
import { EmulatedGuest, WALKED_PAGE_COUNT } from './guest.ts';

// The emulated guest's memory must read as the real guest's does: the same check judges both.
const dump = (guest: EmulatedGuest) => walkedRegions().map(({ start, end }) => ({ start, bytes: guest.readMemory(start, end - start) }));

describe('emulated guest memory', () => {
  it('holds the page walk\'s pattern mid-pass, and its counters where the guest keeps them', () => {
    const guest = new EmulatedGuest('pagewalk');
    guest.state = { passes: 41, boots: 1, position: 0.37 };
    const check = checkPageWalk(dump(guest));
    expect(check.intact).toBe(true);
    expect(check.edges).toBe(1);
    expect(readCounters(guest.readMemory(GUEST_LAYOUT.countersAddress, 8))).toEqual({ passes: 41, boots: 1 });
  });
  it('breaks the pattern where a bug left pages off by some passes, whatever the walk did since', () => {
    const guest = new EmulatedGuest('pagewalk');
    guest.state = { passes: 300, boots: 1, position: 0.5 };
    guest.damage = [{ fromPage: 10, toPage: Math.floor(WALKED_PAGE_COUNT / 10), delta: -1 }];
    expect(checkPageWalk(dump(guest)).intact).toBe(false);
  });
  it('reads as never walked before the guest ran', () => {
    expect(checkPageWalk(dump(new EmulatedGuest('pagewalk'))).intact).toBe(false);
  });
});
