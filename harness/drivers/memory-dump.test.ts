import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGuestMemory, scanDump } from './memory-dump.ts';

const dir = await mkdtemp(join(tmpdir(), 'cutover-dump-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('memory dumps', () => {
  it('hands a dump over in order, a chunk at a time, at guest addresses, and removes the file', async () => {
    const file = join(dir, 'whole.bin');
    const bytes = Buffer.alloc(9 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i >> 12) & 0xff;
    await writeFile(file, bytes);
    const seen: Array<{ at: number; length: number; first: number }> = [];
    await scanDump(file, 0x10_0000, bytes.length, (chunk, at) =>
      seen.push({ at, length: chunk.length, first: chunk[0] ?? -1 }),
    );
    expect(seen.map((s) => s.at)).toEqual([0x10_0000, 0x10_0000 + (4 << 20), 0x10_0000 + (8 << 20)]);
    expect(seen.map((s) => s.length)).toEqual([4 << 20, 4 << 20, 1 << 20]);
    expect(seen[2]?.first).toBe(((8 << 20) >> 12) & 0xff);
    expect(existsSync(file)).toBe(false);
  });

  it('says so when the dump is shorter than asked, and still removes it', async () => {
    const file = join(dir, 'short.bin');
    await writeFile(file, Buffer.alloc(4096));
    await expect(scanDump(file, 0, 8192, () => undefined)).rejects.toThrow(
      /memory dump too short: 4096 of 8192 bytes at 0x0/,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('copies a few bytes out of a scan', async () => {
    const guest = {
      scanMemory: async (address: number, length: number, visit: (c: Uint8Array, a: number) => void) =>
        visit(
          Uint8Array.from({ length }, (_, i) => address + i),
          address,
        ),
    };
    expect([...(await readGuestMemory(guest, 5, 3))]).toEqual([5, 6, 7]);
  });
});
