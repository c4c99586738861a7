import { copyFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StartGuestRequest, StorageMigration } from '../types.ts';
import { DATA_NODE, OVERLAY_NODE, type DataDisk } from './cmdline.ts';
import type { QemuGuest } from './guest.ts';

// The guest's data disk when hosts share no storage (seed 003). Either the destination reads
// through to the source over NBD and streams the rest in after cut-over, or the source
// mirrors the disk into the destination's before cut-over.

const EXPORT_ID = `export-${DATA_NODE}`;

/** Exports a guest's data disk over NBD on the loopback; returns where. */
export async function exportDataDisk(
  guest: QemuGuest,
  port: number,
  writable: boolean,
): Promise<{ host: string; port: number }> {
  const host = guest.host.address;
  await guest.qmp.execute('nbd-server-start', { addr: { type: 'inet', data: { host, port: String(port) } } });
  await guest.qmp.execute('block-export-add', {
    type: 'nbd',
    id: EXPORT_ID,
    'node-name': DATA_NODE,
    name: DATA_NODE,
    writable,
  });
  return { host, port };
}

/**
 * The data disk a new QEMU starts with: its own copy of the guest's disk; for a destination
 * of a streamed migration, an empty overlay over the source's export (copy-on-read); for a
 * mirrored one, an empty disk of the same size for the mirror to fill.
 */
export async function prepareDataDisk(
  request: StartGuestRequest,
  tag: string,
  exportFromSource: () => Promise<{ host: string; port: number }>,
): Promise<DataDisk | undefined> {
  const original = request.spec.dataDisk;
  if (original === undefined) return undefined;
  const storage = request.incoming ? request.incomingSettings?.storage : undefined;
  const dir = request.host.workDir;
  const errorPolicy = storage?.errorPolicy;
  const withPolicy = errorPolicy ? { errorPolicy } : {};
  if (storage?.mode === 'stream-after') {
    const overlay = join(dir, `data-${tag}.qcow2`);
    const made = await request.host.exec(
      ['qemu-img', 'create', '-f', 'qcow2', overlay, String((await stat(original)).size)],
      { timeoutMs: 30_000 },
    );
    if (made.code !== 0) throw new Error(`qemu-img create ${overlay}: ${made.stderr.trim()}`);
    return { kind: 'nbd-overlay', overlay, nbd: await exportFromSource(), ...withPolicy };
  }
  const path = join(dir, `data-${tag}.raw`);
  if (storage?.mode === 'mirror-before') {
    await writeFile(path, '');
    await truncate(path, (await stat(original)).size);
  } else {
    await copyFile(original, path);
  }
  return { kind: 'file', path, ...withPolicy };
}

/**
 * Seed 003's recipe, second half: once the guest runs at the destination, pull in the rest.
 * Not before the destination itself completed: until then its disks are inactive (read-only).
 */
export async function streamAfterCutover(
  destination: QemuGuest,
  storage: StorageMigration,
  since: number,
): Promise<void> {
  if ((await destination.migrationEnded(since)) !== 'completed') return;
  await destination.qmp.execute('block-stream', {
    'job-id': `stream-${DATA_NODE}`,
    device: OVERLAY_NODE,
    ...(storage.bandwidth !== undefined && { speed: storage.bandwidth }),
  });
}

const MIRROR_JOB = `mirror-${DATA_NODE}`;
const MIRROR_TARGET = `${DATA_NODE}-mirror-target`;

const isStatus =
  (...statuses: string[]) =>
  (e: { event: string; data?: unknown }): boolean =>
    e.event === 'MIGRATION' && statuses.includes((e.data as { status?: string } | undefined)?.status ?? '');

/**
 * Pre-copy storage mirroring, as a management layer does it: the destination exports an
 * empty disk, the source mirrors into it; once the mirror is in step the RAM migration
 * starts, pauses before switch-over, the mirror is completed, and only then does the guest
 * switch. A destination lost on the way fails the job and the guest stays at the source.
 */
export async function mirrorThenMigrate(
  source: QemuGuest,
  destination: QemuGuest,
  storage: StorageMigration,
  uri: string,
  port: number,
  log: (line: string) => void,
): Promise<void> {
  const since = source.qmp.mark();
  const target = await exportDataDisk(destination, port, true);
  await source.qmp.execute('migrate-set-capabilities', {
    capabilities: [{ capability: 'pause-before-switchover', state: true }],
  });
  await source.qmp.execute('blockdev-add', {
    driver: 'nbd',
    'node-name': MIRROR_TARGET,
    server: { type: 'inet', host: target.host, port: String(target.port) },
    export: DATA_NODE,
  });
  await source.qmp.execute('blockdev-mirror', {
    'job-id': MIRROR_JOB,
    device: DATA_NODE,
    target: MIRROR_TARGET,
    sync: 'full',
    ...(storage.bandwidth !== undefined && { speed: storage.bandwidth }),
  });
  void (async () => {
    const forever = { timeoutMs: 24 * 3600_000, since };
    const ready = await source.qmp.waitForEvent(
      (e) =>
        (e.event === 'BLOCK_JOB_READY' || e.event === 'BLOCK_JOB_COMPLETED') &&
        (e.data as { device?: string })?.device === MIRROR_JOB,
      forever,
    );
    if (ready.event !== 'BLOCK_JOB_READY' || !destination.process.alive) {
      log('the disk mirror ended before it was in step: the migration is not started, the guest stays at the source');
      return;
    }
    await source.qmp.execute('migrate', { uri });
    const paused = await source.qmp.waitForEvent(
      isStatus('pre-switchover', 'failed', 'cancelled', 'completed'),
      forever,
    );
    if ((paused.data as { status?: string }).status !== 'pre-switchover') return;
    if (!destination.process.alive) {
      await source.qmp.execute('migrate_cancel');
      return;
    }
    // A mirror in step, cancelled, leaves the target a consistent copy: then switch over.
    await source.qmp.execute('block-job-cancel', { device: MIRROR_JOB });
    await source.qmp.waitForEvent(
      (e) => e.event === 'BLOCK_JOB_COMPLETED' && (e.data as { device?: string })?.device === MIRROR_JOB,
      { timeoutMs: 60_000, since },
    );
    await source.qmp.execute('migrate-continue', { state: 'pre-switchover' });
  })().catch((err: Error) => log(`disk mirror: ${err.message}`));
}
