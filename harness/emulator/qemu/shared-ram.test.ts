import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUEST_LAYOUT, walkedRegions } from '../../guest/layout.ts';
import { checkPageWalk, readCounters } from '../../guest/memory-check.ts';
import { EmulatedGuest } from './guest.ts';
import { resumedOn, SharedRam } from './shared-ram.ts';

// Two QEMUs on one share=on RAM file: what one guest wrote, the other reads. An old CPU state
// resumed on RAM a newer QEMU moved on reads broken, as the real guest's does.
const dump = (guest: EmulatedGuest) =>
  walkedRegions().map(({ start, end }) => ({ start, bytes: guest.readMemory(start, end - start) }));

function onRam(state: EmulatedGuest['state']): EmulatedGuest {
  const guest = new EmulatedGuest('pagewalk');
  guest.state = { ...state };
  return guest;
}

describe('shared RAM', () => {
  it('resumed where the RAM was left, the walk reads intact; once the old walker moves on, broken for good', () => {
    const ram = { state: { passes: 90, boots: 1, position: 0.7 }, damage: [] };
    const cpu = { passes: 40, boots: 1, position: 0.2 };
    const now = resumedOn(cpu, ram);
    const resumed = onRam(now.state);
    resumed.damage = [...now.damage];
    // The counters are the RAM's; the position the CPU's.
    expect(resumed.state).toEqual({ passes: 90, boots: 1, position: 0.2 });
    expect(checkPageWalk(dump(resumed)).intact).toBe(true);
    for (const moved of [
      { passes: 90, position: 0.5 },
      { passes: 91, position: 0.1 },
      { passes: 95, position: 0.9 },
    ]) {
      resumed.state = { ...resumed.state, ...moved };
      expect(checkPageWalk(dump(resumed)).intact, JSON.stringify(moved)).toBe(false);
    }
  });
  it('breaks the walk as well when the new QEMU was left behind the old position', () => {
    const cpu = { passes: 40, boots: 1, position: 0.8 };
    const now = resumedOn(cpu, { state: { passes: 43, boots: 1, position: 0.3 }, damage: [] });
    const guest = onRam({ ...now.state, position: 0.95 });
    guest.damage = [...now.damage];
    expect(checkPageWalk(dump(guest)).intact).toBe(false);
  });
  it("changes nothing for a guest that runs on where it stopped, and a QEMU that never ran the guest takes the stream's state", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-shared-ram-'));
    try {
      const path = join(dir, 'ram-g');
      const old = onRam({ passes: 40, boots: 1, position: 0.25 });
      const oldRam = new SharedRam(path);
      oldRam.running(old);
      oldRam.stopped(old);
      oldRam.running(old);
      expect(old.state).toEqual({ passes: 40, boots: 1, position: 0.25 });
      oldRam.stopped(old);
      // The new QEMU loaded the old's state from the stream, and runs on the same file.
      const fresh = onRam(old.state);
      const freshRam = new SharedRam(path);
      freshRam.running(fresh);
      expect(fresh.state).toEqual(old.state);
      fresh.state = { passes: 55, boots: 1, position: 0.6 };
      freshRam.stopped(fresh);
      // The old QEMU resumed: its memory is the RAM the new one left, under its own CPU state.
      oldRam.running(old);
      oldRam.stopped(old);
      expect(old.state).toEqual({ passes: 55, boots: 1, position: 0.25 });
      expect(readCounters(old.readMemory(GUEST_LAYOUT.countersAddress, 8))).toEqual({ passes: 55, boots: 1 });
      old.state = { ...old.state, position: 0.4 };
      expect(checkPageWalk(dump(old)).intact).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
