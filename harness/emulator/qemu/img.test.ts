import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OverlayImage } from './image.ts';
import { runImg } from './img.ts';

// The emulated qemu-img answers what the qemu driver and the harness ask of qemu-img, on the
// emulator's own images.

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-img-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('emulated qemu-img', () => {
  it('creates an empty overlay: nothing of its own, zeros when converted', () => {
    const dir = scratch();
    const overlay = join(dir, 'o.qcow2');
    expect(runImg(['create', '-f', 'qcow2', overlay, String(64 * 512)]).code).toBe(0);
    const map = JSON.parse(runImg(['map', '-U', '--output=json', '-f', 'qcow2', overlay]).stdout) as Array<{
      start: number;
      length: number;
      data: boolean;
    }>;
    expect(map).toEqual([expect.objectContaining({ start: 0, length: 64 * 512, data: false, depth: 0 })]);
    expect(runImg(['convert', '-U', '-f', 'qcow2', '-O', 'raw', overlay, join(dir, 'o.raw')]).code).toBe(0);
    expect(readFileSync(join(dir, 'o.raw'))).toEqual(Buffer.alloc(64 * 512));
  });

  it('maps the sectors an overlay holds and converts them, the rest as zeros', () => {
    const dir = scratch();
    const path = join(dir, 'o.qcow2');
    runImg(['create', '-f', 'qcow2', path, '16K']);
    const image = new OverlayImage(path);
    image.write(8, Buffer.alloc(1024, 7));
    image.close();
    const map = JSON.parse(runImg(['map', '--output=json', '-f', 'qcow2', path]).stdout) as Array<{
      start: number;
      length: number;
      data: boolean;
    }>;
    expect(map.map(({ start, length, data }) => ({ start, length, data }))).toEqual([
      { start: 0, length: 4096, data: false },
      { start: 4096, length: 1024, data: true },
      { start: 5120, length: 16384 - 5120, data: false },
    ]);
    runImg(['convert', '-f', 'qcow2', '-O', 'raw', path, join(dir, 'o.raw')]);
    const raw = readFileSync(join(dir, 'o.raw'));
    expect(raw.length).toBe(16384);
    expect(raw.subarray(4096, 5120)).toEqual(Buffer.alloc(1024, 7));
    expect(raw.subarray(0, 4096)).toEqual(Buffer.alloc(4096));
  });

  it('maps a raw image as all its own, and fails as qemu-img does on what it does not know', () => {
    const dir = scratch();
    const raw = join(dir, 'd.raw');
    writeFileSync(raw, Buffer.alloc(2048, 1));
    expect(JSON.parse(runImg(['map', '--output=json', '-f', 'raw', raw]).stdout)).toEqual([
      expect.objectContaining({ start: 0, length: 2048, data: true }),
    ]);
    expect(runImg(['map', '--output=json', '-f', 'qcow2', raw])).toMatchObject({
      code: 1,
      stderr: 'qemu-img: Image is not in qcow2 format\n',
    });
    expect(runImg(['snapshot', raw]).code).toBe(1);
    expect(runImg(['--version']).stdout).toMatch(/^qemu-img version \d+\.\d+\.\d+/);
    runImg(['create', '-f', 'raw', join(dir, 'e.raw'), '1M']);
    expect(statSync(join(dir, 'e.raw')).size).toBe(1024 ** 2);
  });
});
