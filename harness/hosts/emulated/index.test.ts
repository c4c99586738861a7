import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../types.ts';
import { emulatedHostProvider } from './index.ts';

// An emulated host runs what the qemu driver runs on a host: its QEMUs are the emulator's,
// and so is its qemu-img (which knows the emulator's images).

let dir: string;
let host: Host;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-emulated-host-'));
  [host] = (await emulatedHostProvider().create([{ name: 'alpha' }], dir, () => performance.now())) as [Host];
}, 60_000);
afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

describe('emulated host', () => {
  it('answers qemu-img with the emulated one', async () => {
    const overlay = join(dir, 'o.qcow2');
    const made = await host.exec(['qemu-img', 'create', '-f', 'qcow2', overlay, String(1024 ** 2)], {
      timeoutMs: 30_000,
    });
    expect(made).toMatchObject({ code: 0 });
    expect((await stat(overlay)).size).toBeGreaterThan(1024 ** 2);
    const map = await host.exec(['qemu-img', 'map', '-U', '--output=json', '-f', 'qcow2', overlay], {
      timeoutMs: 30_000,
    });
    expect(JSON.parse(map.stdout)).toEqual([expect.objectContaining({ start: 0, length: 1024 ** 2, data: false })]);
  }, 60_000);

  it('has QEMUs whose -device help lists the IDE disk the disk guest reads', async () => {
    const [emulator] = await host.emulators();
    if (!emulator) throw new Error('no emulated QEMU');
    const help = await host.exec([emulator.command, ...emulator.prefixArgs, '-device', 'help'], { timeoutMs: 30_000 });
    expect(help.stdout).toMatch(/name "ide-hd", bus IDE/);
  }, 60_000);
});
