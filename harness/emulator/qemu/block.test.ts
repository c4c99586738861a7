import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockLayer, flatten, type OverlayNode } from './block.ts';
import { OverlayImage } from './image.ts';
import { MirrorJob, StreamJob, type JobHooks } from './jobs.ts';
import { IoError } from './nbd.ts';

// The emulated block layer on real files and real sockets: a source's NBD export, a
// destination's copy-on-read overlay over it, block-stream and blockdev-mirror, and what a
// lost NBD server does to them.

const SECTORS = 512; // 256 KiB
const PATTERN = 0xa5a5a5a5;
const dirs: string[] = [];
const layers: BlockLayer[] = [];
afterEach(() => {
  for (const layer of layers.splice(0)) layer.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function patterned(path: string): void {
  const disk = Buffer.alloc(SECTORS * 512);
  for (let s = 0; s < SECTORS; s++) disk.writeUInt32LE((s ^ PATTERN) >>> 0, s * 512);
  writeFileSync(path, disk);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A source exporting its raw disk (as the qemu driver's exportDataDisk asks), and a destination's overlay chain over it. */
async function sourceAndOverlay(options: { zerosForMissing?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-block-'));
  dirs.push(dir);
  patterned(join(dir, 'source.raw'));
  const source = new BlockLayer();
  layers.push(source);
  await source.add({ driver: 'file', filename: join(dir, 'source.raw'), 'node-name': 'data0-file' });
  await source.add({ driver: 'raw', file: 'data0-file', 'node-name': 'data0' });
  const port = await freePort();
  await source.startNbd('127.0.0.1', port);
  source.exportNbd('export-data0', 'data0', 'data0', false);
  OverlayImage.create(join(dir, 'o.qcow2'), SECTORS * 512);
  const destination = new BlockLayer(options);
  layers.push(destination);
  const chain: Array<Record<string, string>> = [
    {
      driver: 'nbd',
      'node-name': 'data0-nbd',
      'server.type': 'inet',
      'server.host': '127.0.0.1',
      'server.port': String(port),
      export: 'data0',
      'read-only': 'on',
    },
    { driver: 'file', filename: join(dir, 'o.qcow2'), 'node-name': 'data0-overlay-file' },
    { driver: 'qcow2', 'node-name': 'data0-overlay', file: 'data0-overlay-file', backing: 'data0-nbd' },
    { driver: 'copy-on-read', 'node-name': 'data0', file: 'data0-overlay' },
  ];
  for (const spec of chain) await destination.add(spec);
  return { dir, source, destination, overlay: destination.node('data0-overlay') as OverlayNode };
}

const events = () => {
  const seen: Array<{ event: string; data?: Record<string, unknown> }> = [];
  const hooks: JobHooks = {
    emit: (event, data) => seen.push({ event, ...(data && { data }) }),
    ended: () => undefined,
  };
  const ended = (name: string) =>
    new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (seen.some((e) => e.event === name)) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
  return { seen, hooks, ended };
};

describe('emulated block layer', () => {
  it('reads through to the source over NBD, and keeps what it read (copy-on-read)', async () => {
    const { destination, overlay } = await sourceAndOverlay();
    const data = await destination.node('data0').read(10, 2);
    expect(data.readUInt32LE(0)).toBe((10 ^ PATTERN) >>> 0);
    expect(data.readUInt32LE(512)).toBe((11 ^ PATTERN) >>> 0);
    expect(overlay.image.allocated(10)).toBe(true);
    expect(overlay.image.allocated(12)).toBe(false);
  });

  it('streams the disk in, paced at its speed, and drops the backing at the end', async () => {
    const { overlay, destination } = await sourceAndOverlay();
    const { seen, hooks, ended } = events();
    const job = new StreamJob('stream-data0', overlay, 0, hooks, () => destination.dropBacking(overlay));
    job.start();
    await ended('BLOCK_JOB_COMPLETED');
    expect(seen.map((e) => (e.event === 'JOB_STATUS_CHANGE' ? e.data?.status : e.event))).toEqual([
      'created',
      'running',
      'waiting',
      'pending',
      'BLOCK_JOB_COMPLETED',
      'concluded',
      'null',
    ]);
    expect(seen.find((e) => e.event === 'BLOCK_JOB_COMPLETED')?.data).toEqual({
      device: 'stream-data0',
      len: SECTORS * 512,
      offset: SECTORS * 512,
      speed: 0,
      type: 'stream',
    });
    expect(overlay.backing).toBeUndefined();
    for (let s = 0; s < SECTORS; s++) expect(overlay.image.allocated(s)).toBe(true);
  });

  it('fails reads of what was not streamed yet once the source is gone, and the stream job with them', async () => {
    const { source, destination, overlay } = await sourceAndOverlay();
    await destination.node('data0').read(0, 4);
    const { seen, hooks, ended } = events();
    const job = new StreamJob('stream-data0', overlay, 64 * 1024, hooks, () => destination.dropBacking(overlay));
    job.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    source.close();
    await expect(destination.node('data0').read(SECTORS - 1, 1)).rejects.toBeInstanceOf(IoError);
    expect((await destination.node('data0').read(0, 1)).readUInt32LE(0)).toBe(PATTERN); // its own: still read
    await ended('BLOCK_JOB_COMPLETED');
    expect(seen.find((e) => e.event === 'BLOCK_JOB_ERROR')?.data).toEqual({
      device: 'stream-data0',
      operation: 'read',
      action: 'report',
    });
    const completed = seen.find((e) => e.event === 'BLOCK_JOB_COMPLETED')?.data;
    expect(completed).toMatchObject({ error: 'Input/output error', type: 'stream' });
    expect(completed?.offset).toBeLessThan(SECTORS * 512);
  });

  it('with the bug zeros-for-missing-sectors, hands back zeros instead, and keeps them', async () => {
    const { source, destination, overlay } = await sourceAndOverlay({ zerosForMissing: true });
    source.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await destination.node('data0').read(100, 1)).toEqual(Buffer.alloc(512));
    expect(overlay.image.allocated(100)).toBe(true);
  });

  it("mirrors into a destination's writable export, is READY, and completes when cancelled", async () => {
    const { dir, source } = await sourceAndOverlay();
    writeFileSync(join(dir, 'target.raw'), Buffer.alloc(SECTORS * 512));
    const target = new BlockLayer();
    layers.push(target);
    await target.add({ driver: 'file', filename: join(dir, 'target.raw'), 'node-name': 'data0-file' });
    await target.add({ driver: 'raw', file: 'data0-file', 'node-name': 'data0' });
    const port = await freePort();
    await target.startNbd('127.0.0.1', port);
    target.exportNbd('export-data0', 'data0', 'data0', true);
    await source.add(
      flatten({
        driver: 'nbd',
        'node-name': 'data0-mirror-target',
        server: { type: 'inet', host: '127.0.0.1', port: String(port) },
        export: 'data0',
      }),
    );
    const { seen, hooks, ended } = events();
    const job = new MirrorJob('mirror-data0', source.node('data0'), source.node('data0-mirror-target'), 0, hooks);
    job.start();
    await ended('BLOCK_JOB_READY');
    expect(job.info()).toMatchObject({ ready: true, status: 'ready', offset: SECTORS * 512 });
    expect((await target.node('data0').read(SECTORS - 1, 1)).readUInt32LE(0)).toBe(((SECTORS - 1) ^ PATTERN) >>> 0);
    job.cancel();
    await ended('BLOCK_JOB_COMPLETED');
    expect(seen.map((e) => (e.event === 'JOB_STATUS_CHANGE' ? e.data?.status : e.event))).toEqual([
      'created',
      'running',
      'ready',
      'BLOCK_JOB_READY',
      'waiting',
      'pending',
      'BLOCK_JOB_COMPLETED',
      'concluded',
      'null',
    ]);
  });

  it('ends a mirror whose target is lost with the write error, never READY', async () => {
    const { dir, source } = await sourceAndOverlay();
    writeFileSync(join(dir, 'target.raw'), Buffer.alloc(SECTORS * 512));
    const target = new BlockLayer();
    await target.add({ driver: 'file', filename: join(dir, 'target.raw'), 'node-name': 'data0-file' });
    await target.add({ driver: 'raw', file: 'data0-file', 'node-name': 'data0' });
    const port = await freePort();
    await target.startNbd('127.0.0.1', port);
    target.exportNbd('export-data0', 'data0', 'data0', true);
    await source.add({
      driver: 'nbd',
      'node-name': 't',
      'server.host': '127.0.0.1',
      'server.port': String(port),
      export: 'data0',
    });
    const { seen, hooks, ended } = events();
    let targetFailed = 0;
    const job = new MirrorJob('mirror-data0', source.node('data0'), source.node('t'), 256 * 1024, {
      ...hooks,
      targetFailed: () => targetFailed++,
    });
    job.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    target.close();
    await ended('BLOCK_JOB_COMPLETED');
    expect(seen.some((e) => e.event === 'BLOCK_JOB_READY')).toBe(false);
    expect(seen.find((e) => e.event === 'BLOCK_JOB_ERROR')?.data).toEqual({
      device: 'mirror-data0',
      operation: 'write',
      action: 'report',
    });
    expect(seen.find((e) => e.event === 'BLOCK_JOB_COMPLETED')?.data).toMatchObject({
      type: 'mirror',
      error: 'Input/output error',
    });
    expect(targetFailed).toBe(1);
  });

  it('refuses what QEMU refuses: a node name twice, an export of a missing node, a server that is not there', async () => {
    const layer = new BlockLayer();
    layers.push(layer);
    await expect(
      layer.add({
        driver: 'nbd',
        'node-name': 'n',
        'server.host': '127.0.0.1',
        'server.port': String(await freePort()),
        export: 'data0',
      }),
    ).rejects.toThrow(/Failed to connect to '127\.0\.0\.1:\d+': Connection refused/);
    expect(() => layer.exportNbd('e', 'data0', 'data0', false)).toThrow('NBD server not running');
    await layer.startNbd('127.0.0.1', await freePort());
    expect(() => layer.exportNbd('e', 'data0', 'data0', false)).toThrow(
      "Cannot find device='data0' nor node-name='data0'",
    );
  });
});
