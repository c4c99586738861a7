import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { UsageError } from '../../util/errors.ts';
import type { MigrationInfo as QmpMigrationInfo } from '../../qmp/index.ts';
import type {
  Driver, DriverContext, DriverDescription, DriverEvent, GuestHandle, MigrateRequest, MigrationJob, MigrationInfo,
  MigrationSettings, MigrationStatus, RecoverOptions, StartGuestRequest,
} from '../types.ts';
import { Unsupported } from '../types.ts';
import { QemuGuest } from './guest.ts';
import { chooseEmulator, compareVersions } from '../../hosts/emulators.ts';
import { cprChannels, unixChannel } from './cmdline.ts';
import { exportDataDisk, mirrorThenMigrate, prepareDataDisk, streamAfterCutover } from './storage.ts';
import type { Host } from '../../hosts/types.ts';

const run = promisify(execFile);

/** High enough that a local link, not QEMU's default throttle (128 MiB/s), is the limit. */
export const DEFAULT_MAX_BANDWIDTH = 8 * 1024 ** 3;
export const DEFAULT_DOWNTIME_LIMIT_MS = 300;

/**
 * cutover itself as the management layer over QMP: it starts the source and an -incoming
 * destination, sets capabilities and parameters, migrates, cancels and queries.
 * It needs nothing beyond the Driver interface and the hosts it is given.
 */
export function createQemuDriver(context: DriverContext): Driver {
  // An explicit binary wins over the host's emulators (a vendor's own QEMU build).
  const binary = typeof context.options.binary === 'string' ? context.options.binary : undefined;
  const quitSource = parseQuitSource(context.options.quitSource);
  const onDestinationLoss = parseDestinationLoss(context.options.onDestinationLoss);
  const listeners = new Set<(e: DriverEvent) => void>();
  const guests: QemuGuest[] = [];
  let kvmUsable: boolean | undefined;
  const emit = (event: DriverEvent): void => listeners.forEach((l) => l(event));

  return {
    name: 'qemu',

    async describe(): Promise<DriverDescription> {
      kvmUsable ??= await canUseKvm();
      const version = await qemuVersion(binary ?? 'qemu-system-x86_64');
      return { versions: { qemu: version } };
    },

    async startGuest(request: StartGuestRequest): Promise<GuestHandle> {
      kvmUsable ??= await canUseKvm();
      const spicePort = request.spec.spice ? await freeLoopbackPort() : undefined;
      const emulator = binary !== undefined
        ? { command: binary, prefixArgs: [] }
        : chooseEmulator(await request.host.emulators(), request.spec.emulator ?? 'default', request.host.name);
      if (request.spec.cpr && 'version' in emulator && compareVersions(emulator.version, CPR_TRANSFER_SINCE) < 0) {
        throw new Unsupported(`cpr-transfer needs QEMU >= ${CPR_TRANSFER_SINCE}; the ${request.spec.emulator ?? 'default'} QEMU of ${request.host.name} is ${emulator.version}`);
      }
      // The first guest of a side on a host names its files after the side alone.
      const shared = guests.some((g) => g.host === request.host && g.side === request.side);
      const tag = shared ? `${request.side}-${request.spec.name}` : request.side;
      const cprSocket = request.incoming && request.incomingSettings?.mode === 'cpr-transfer' ? join(request.host.workDir, `cpr-${tag}.sock`) : undefined;
      const dataDisk = await prepareDataDisk(request, tag, async () => {
        const source = guests.find((g) => g.name === request.spec.name && g.side === 'source' && g.process.alive && g.attached);
        if (!source) throw new Error(`no running source of ${request.spec.name} to stream its disk from`);
        return exportDataDisk(source, await freeLoopbackPort(), false);
      });
      const guest = await QemuGuest.start(request, {
        tag, emulator, kvmUsable, clock: context.clock, emit, ...(spicePort !== undefined && { spicePort }), ...(dataDisk && { dataDisk }),
      }, cprSocket);
      guests.push(guest);
      if (guest.attached) await prepareMonitor(guest);
      return guest;
    },

    async migrate(request: MigrateRequest): Promise<MigrationJob> {
      const source = asQemu(request.source);
      const destination = 'guest' in request.target ? asQemu(request.target.guest) : undefined;
      const { settings } = request;
      if (settings.mode === 'cpr-transfer') {
        if (!destination?.cprSocket) throw new Error('cpr-transfer needs a destination started for it');
        return migrateByCpr(source, destination, settings);
      }
      const both = { 'x-ignore-shared': settings.ignoreShared, 'postcopy-ram': settings.postcopy };
      await setCapabilities(source, { ...both, 'validate-uuid': settings.validateUuid });
      if (destination) await setCapabilities(destination, both);
      const uri = destination
        ? await relayed(await listenForIncoming(destination, settings.transport), settings)
        : `unix:${join((request.target as { unreachable: Host }).unreachable.workDir, 'nobody-listens-here.sock')}`;
      await source.qmp.execute('migrate-set-parameters', {
        'max-bandwidth': settings.maxBandwidth ?? DEFAULT_MAX_BANDWIDTH,
        'downtime-limit': settings.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS,
        ...(settings.postcopyBandwidth !== undefined && { 'max-postcopy-bandwidth': settings.postcopyBandwidth }),
      });
      const relocation = request.settings.spice ?? 'destination';
      if (source.spiceAddress && relocation !== 'none') {
        const to = relocation === 'destination' ? ('guest' in request.target ? asQemu(request.target.guest).spiceAddress : undefined) : relocation;
        if (to) await source.qmp.execute('client_migrate_info', { protocol: 'spice', hostname: to.host, port: to.port });
      }
      const since = source.qmp.mark();
      const destinationSince = destination?.qmp.mark() ?? 0;
      if (destination && settings.storage?.mode === 'mirror-before') {
        await mirrorThenMigrate(source, destination, settings.storage, uri, await freeLoopbackPort(), context.log);
      } else {
        await source.qmp.execute('migrate', { uri });
      }
      void endSourceAfterHandover(source, since, quitSource, context);
      if (destination && onDestinationLoss === 'resume-source') void resumeSourceOnLoss(source, destination, since, context);
      if (destination && settings.storage?.mode === 'stream-after') {
        void streamAfterCutover(destination, settings.storage, destinationSince).catch((err: Error) => context.log(`block-stream: ${err.message}`));
      }
      return {
        info: async () => toMigrationInfo(await source.qmp.execute<QmpMigrationInfo>('query-migrate')),
        cancel: async () => void (await source.qmp.execute('migrate_cancel')),
        startPostcopy: async () => void (await source.qmp.execute('migrate-start-postcopy')),
        recover: async (options) => {
          if (!destination) throw new Error('recover without a destination');
          await recoverPostcopy(source, destination, settings, options);
        },
      };
    },

    /** What this management layer holds on a host: its live QEMUs, by their own name and UUID. */
    async inventory(host) {
      const here = guests.filter((g) => g.host === host && g.process.alive && g.attached);
      return Promise.all(here.map(async (g) => {
        const name = (await g.qmp.execute<{ name?: string }>('query-name', undefined, { timeoutMs: 5000 })).name ?? '';
        const uuid = (await g.qmp.execute<{ UUID: string }>('query-uuid', undefined, { timeoutMs: 5000 })).UUID;
        return { name, uuid, state: await g.runState().catch(() => 'unknown') };
      }));
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      await Promise.all(guests.map((g) => g.destroy().catch(() => undefined)));
    },
  };
}

/** The URI the source connects to: the destination's, or the harness's relay in front of it. */
async function relayed(uri: string, settings: MigrationSettings): Promise<string> {
  const tcp = /^tcp:([^:]+):(\d+)$/.exec(uri);
  if (!settings.relay || !tcp) return uri;
  const via = await settings.relay({ host: tcp[1] ?? '127.0.0.1', port: Number(tcp[2]) });
  return `tcp:${via.host}:${via.port}`;
}

/**
 * Post-copy recovery: the destination listens anew (migrate-recover) before the source
 * resumes to it. Never the other way round: a source that resumes to a peer that accepts and
 * stays silent sits in postcopy-recover for good (QEMU 7.2).
 */
async function recoverPostcopy(source: QemuGuest, destination: QemuGuest, settings: MigrationSettings, options: RecoverOptions): Promise<void> {
  const uri = settings.transport === 'tcp'
    ? `tcp:127.0.0.1:${await freeLoopbackPort()}`
    : `unix:${join(destination.host.workDir, `recover-${destination.tag}-${Date.now().toString(36)}.sock`)}`;
  await destination.qmp.execute('migrate-recover', { uri });
  if (options.postcopyBandwidth !== undefined) await source.qmp.execute('migrate-set-parameters', { 'max-postcopy-bandwidth': options.postcopyBandwidth });
  await source.qmp.execute('migrate', { uri: await relayed(uri, settings), resume: true });
}

/** QEMU's first release with migration mode cpr-transfer. */
export const CPR_TRANSFER_SINCE = '10.0';

/** What cutover asks of every QEMU once its monitor answers. */
async function prepareMonitor(guest: QemuGuest): Promise<void> {
  const kvm = await guest.qmp.execute<{ enabled: boolean }>('query-kvm');
  guest.accelerator = kvm.enabled ? 'kvm' : 'tcg';
  // Without the events capability QEMU sends no MIGRATION events at all.
  await guest.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
}

/**
 * cpr-transfer: the source hands its RAM over as file descriptors on the cpr channel, then
 * sends device state on the main one. The destination's monitor opens only after that.
 */
async function migrateByCpr(source: QemuGuest, destination: QemuGuest, settings: MigrationSettings): Promise<MigrationJob> {
  await source.qmp.execute('migrate-set-parameters', {
    mode: 'cpr-transfer',
    'max-bandwidth': settings.maxBandwidth ?? DEFAULT_MAX_BANDWIDTH,
    'downtime-limit': settings.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS,
  });
  const channels = cprChannels(destination.cprSocket ?? '');
  await source.qmp.execute('migrate', { channels: [unixChannel('main', channels.main), unixChannel('cpr', channels.cpr)] });
  await destination.attach();
  await prepareMonitor(destination);
  return {
    info: async () => toMigrationInfo(await source.qmp.execute<QmpMigrationInfo>('query-migrate')),
    cancel: async () => void (await source.qmp.execute('migrate_cancel')),
  };
}

/** Turns on the capabilities asked for (those left undefined or false stay as QEMU has them). */
async function setCapabilities(guest: QemuGuest, wanted: Record<string, boolean | undefined>): Promise<void> {
  const capabilities = Object.entries(wanted).filter(([, on]) => on).map(([capability]) => ({ capability, state: true }));
  if (capabilities.length) await guest.qmp.execute('migrate-set-capabilities', { capabilities });
}

function asQemu(guest: GuestHandle): QemuGuest {
  if (!(guest instanceof QemuGuest)) throw new Error('the qemu driver was handed a guest it did not start');
  return guest;
}

async function listenForIncoming(destination: QemuGuest, transport: 'unix' | 'tcp'): Promise<string> {
  const uri = transport === 'unix'
    ? `unix:${join(destination.host.workDir, `migration-${destination.tag}.sock`)}`
    : `tcp:127.0.0.1:${await freeLoopbackPort()}`;
  await destination.qmp.execute('migrate-incoming', { uri });
  return uri;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function toMigrationInfo(info: QmpMigrationInfo): MigrationInfo {
  return {
    status: (info.status ?? 'none') as MigrationStatus,
    ...(info['error-desc'] !== undefined && { errorDesc: info['error-desc'] }),
    ...(info['total-time'] !== undefined && { totalTimeMs: info['total-time'] }),
    ...(info.downtime !== undefined && { downtimeMs: info.downtime }),
    ...(info['setup-time'] !== undefined && { setupTimeMs: info['setup-time'] }),
    ...(info.ram?.transferred !== undefined && { transferredBytes: info.ram.transferred }),
    ...(info.ram?.total !== undefined && { ramTotalBytes: info.ram.total }),
  };
}

async function canUseKvm(): Promise<boolean> {
  return access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
}

async function qemuVersion(binary: string): Promise<string> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
    return /version\s+(\S+)/.exec(stdout)?.[1] ?? stdout.split('\n')[0] ?? 'unknown';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`QEMU not found: '${binary}' is not installed or not on PATH`, 'run `npx cutover setup`, or `apt-get install qemu-system-x86`');
    }
    throw err;
  }
}

/**
 * What the manager does when the destination dies after a completed migration: 'nothing'
 * (the guest is lost, and said to be), or 'resume-source': a broken manager that silently
 * resumes the old QEMU, which SHU-05 must catch when the two shared RAM.
 */
export type DestinationLoss = 'nothing' | 'resume-source';

function parseDestinationLoss(value: unknown): DestinationLoss {
  if (value === undefined) return 'nothing';
  if (value === 'nothing' || value === 'resume-source') return value;
  throw new UsageError(`driver option onDestinationLoss: '${String(value)}' is not one of nothing, resume-source`);
}

async function resumeSourceOnLoss(source: QemuGuest, destination: QemuGuest, since: number, context: DriverContext): Promise<void> {
  const done = await source.qmp
    .waitForEvent((e) => e.event === 'MIGRATION' && ['completed', 'failed', 'cancelled'].includes((e.data as { status?: string })?.status ?? ''), { timeoutMs: 24 * 3600_000, since })
    .catch(() => undefined);
  if ((done?.data as { status?: string } | undefined)?.status !== 'completed') return;
  await destination.exited;
  if (!source.process.alive) return;
  context.log('the destination died after the hand-over: resuming the source (onDestinationLoss: resume-source)');
  await source.qmp.execute('cont').catch(() => undefined);
}

/**
 * What this management layer does with the source after a completed migration:
 * - 'never': leave it in postmigrate (QEMU's own behaviour; the MIG family judges that);
 * - 'after-spice': wait for SPICE_MIGRATE_COMPLETED (bounded, as spice-server's own 10 s
 *   is) so the client can move, then quit it, as libvirt does;
 * - 'immediately' and 'wait-forever': two broken managers the SPICE judges must catch.
 */
export type QuitSource = 'never' | 'after-spice' | 'immediately' | 'wait-forever';

/** Bound on waiting for SPICE_MIGRATE_COMPLETED: spice-server's MIGRATE_TIMEOUT plus slack. */
export const SPICE_WAIT_BOUND_MS = 12_000;

function parseQuitSource(value: unknown): QuitSource {
  if (value === undefined) return 'never';
  if (value === 'never' || value === 'after-spice' || value === 'immediately' || value === 'wait-forever') return value;
  throw new UsageError(`driver option quitSource: '${String(value)}' is not one of never, after-spice, immediately, wait-forever`);
}

async function endSourceAfterHandover(source: QemuGuest, since: number, policy: QuitSource, context: DriverContext): Promise<void> {
  if (policy === 'never' || policy === 'wait-forever') return;
  const done = await source.qmp
    .waitForEvent((e) => e.event === 'MIGRATION' && ['completed', 'failed', 'cancelled'].includes((e.data as { status?: string })?.status ?? ''), { timeoutMs: 24 * 3600_000, since })
    .catch(() => undefined);
  if ((done?.data as { status?: string } | undefined)?.status !== 'completed') return;
  if (policy === 'after-spice' && source.spiceAddress) {
    await source.qmp.waitForEvent('SPICE_MIGRATE_COMPLETED', { timeoutMs: SPICE_WAIT_BOUND_MS, since }).catch(() => {
      context.log(`no SPICE_MIGRATE_COMPLETED within ${SPICE_WAIT_BOUND_MS} ms; quitting the source anyway`);
    });
  }
  await source.qmp.execute('quit').catch(() => undefined);
}
