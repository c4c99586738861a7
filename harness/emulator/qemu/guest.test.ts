import { describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DISK_LAYOUT, GUEST_LAYOUT, walkedRegions } from '../../guest/layout.ts';
import { checkPageWalk, readCounters } from '../../guest/memory-check.ts';
import { DISK_PASS_MS, EmulatedGuest, WALKED_PAGE_COUNT, type GuestDisk } from './guest.ts';
import { IoError } from './nbd.ts';

// The emulated guest's memory must read as the real guest's does: the same check judges both.
const dump = (guest: EmulatedGuest) =>
  walkedRegions().map(({ start, end }) => ({ start, bytes: guest.readMemory(start, end - start) }));

describe('emulated guest memory', () => {
  it("holds the page walk's pattern mid-pass, and its counters where the guest keeps them", () => {
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
  it('reads the same memory a chunk at a time as in one piece (pmemsave writes it in chunks)', () => {
    const guest = new EmulatedGuest('pagewalk');
    guest.state = { passes: 7, boots: 2, position: 0.61 };
    guest.damage = [{ fromPage: 100, toPage: 140, delta: -1 }];
    const start = 0x80000;
    const whole = guest.readMemory(start, 3 << 20);
    const chunks = [0, 1, 2].map((i) => guest.readMemoryInto(Buffer.alloc(1 << 20), start + (i << 20)));
    expect(Buffer.concat(chunks).equals(whole)).toBe(true);
  });
});

/** A disk that reads as the harness wrote it, except sectors from `zerosFrom` on (zeros) or `failFrom` on (failed reads). */
function disk(
  options: { zerosFrom?: number; failFrom?: number; onFail?: () => 'stop' | 'report' } = {},
): GuestDisk & { failures: number } {
  const d = {
    failures: 0,
    async read(sector: number, count: number): Promise<Buffer> {
      if (options.failFrom !== undefined && sector + count > options.failFrom) throw new IoError();
      const bytes = Buffer.alloc(count * DISK_LAYOUT.sectorSize);
      for (let i = 0; i < count; i++) {
        if (options.zerosFrom !== undefined && sector + i >= options.zerosFrom) continue;
        bytes.writeUInt32LE(((sector + i) ^ DISK_LAYOUT.pattern) >>> 0, i * DISK_LAYOUT.sectorSize);
      }
      return bytes;
    },
    failed(): 'stop' | 'report' {
      d.failures++;
      return options.onFail?.() ?? 'report';
    },
  };
  return d;
}

/** The guest's serial output, as the harness's recorder gets it. */
async function serialOf(guest: EmulatedGuest): Promise<{ text: () => string; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-serial-'));
  let text = '';
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (chunk) => (text += chunk.toString('latin1')));
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 's.sock'), resolve));
  await guest.connectSerial(join(dir, 's.sock'));
  return {
    text: () => text,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('emulated disk-reading guest', () => {
  it('reads its whole disk each pass and says so on serial, as diskwalk.asm does', async () => {
    const guest = new EmulatedGuest('diskwalk');
    guest.disk = disk();
    const serial = await serialOf(guest);
    try {
      guest.state = { passes: 0, boots: 1, position: 0.9 };
      guest.run();
      await sleep(DISK_PASS_MS * 0.1 + 400);
      guest.stop();
      await sleep(20);
      expect(serial.text()).toBe(GUEST_LAYOUT.passChar);
      expect(guest.state.passes).toBe(1);
      expect(readCounters(guest.readMemory(GUEST_LAYOUT.countersAddress, 8))).toEqual({ passes: 1, boots: 1 });
    } finally {
      serial.close();
    }
  });

  it('tells of every sector of zeros it reads, and of failed reads under error policy report', async () => {
    const guest = new EmulatedGuest('diskwalk');
    guest.disk = disk({ zerosFrom: DISK_LAYOUT.sectors - 10 });
    const serial = await serialOf(guest);
    try {
      guest.state = { passes: 0, boots: 1, position: 0.95 };
      guest.run();
      await sleep(DISK_PASS_MS * 0.05 + 400);
      guest.stop();
      await sleep(20);
      expect(serial.text()).toBe(`${DISK_LAYOUT.zeroChar.repeat(10)}${GUEST_LAYOUT.passChar}`);
    } finally {
      serial.close();
    }
    const reporting = new EmulatedGuest('diskwalk');
    reporting.disk = disk({ failFrom: DISK_LAYOUT.sectors - 128 });
    const told = await serialOf(reporting);
    try {
      reporting.state = { passes: 0, boots: 1, position: 0.99 };
      reporting.run();
      await sleep(DISK_PASS_MS * 0.01 + 300);
      reporting.stop();
      await sleep(20);
      expect(told.text()).toMatch(new RegExp(`^${DISK_LAYOUT.errorChar}+${GUEST_LAYOUT.passChar}$`));
    } finally {
      told.close();
    }
  });

  it('makes no progress past a failed read that stopped the machine (error policy stop)', async () => {
    const guest = new EmulatedGuest('diskwalk');
    const failFrom = Math.floor(DISK_LAYOUT.sectors * 0.5);
    const failing = disk({
      failFrom,
      onFail: () => {
        guest.stop();
        return 'stop';
      },
    });
    guest.disk = failing;
    guest.state = { passes: 3, boots: 1, position: 0.49 };
    guest.run();
    await sleep(300);
    expect(guest.running).toBe(false);
    expect(failing.failures).toBe(1);
    expect(guest.state.passes).toBe(3);
    // A chunk may end right at the failing sector: the walk then stands on it, never past it.
    expect(guest.state.position).toBeLessThanOrEqual(failFrom / DISK_LAYOUT.sectors);
  });
});
