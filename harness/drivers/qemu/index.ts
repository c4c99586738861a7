import { join } from 'node:path';
import { sleep } from '../../util/deadline.ts';
import { chooseEmulator } from '../../hosts/emulators.ts';
import { compareVersions } from '../../util/versions.ts';
import type { Host } from '../../hosts/types.ts';
import type { MigrationInfo as QmpMigrationInfo } from '../../qmp/index.ts';
import type {
  Capability,
  Driver,
  DriverContext,
  DriverDescription,
  DriverEvent,
  GuestHandle,
  MigrateRequest,
  MigrationJob,
  StartGuestRequest,
} from '../types.ts';
import { Unsupported } from '../types.ts';
import { emulatorFor, HostProbes } from './host-probes.ts';
import { CPR_TRANSFER_SINCE, migrateByCpr } from './cpr.ts';
import { prepareMonitor, QemuGuest } from './guest.ts';
import {
  endDestinationAfterFailure,
  endDestinationOnSourceLoss,
  ORPHAN_GRACE_MS,
  resumeSourceIfFinishFails,
  endSourceAfterHandover,
  parseDestinationLoss,
  parseQuitSource,
  POLICY_EVENT,
  resumeSourceOnLoss,
} from './manager-policies.ts';
import { DEFAULT_DOWNTIME_LIMIT_MS, DEFAULT_MAX_BANDWIDTH, toMigrationInfo } from './migration-info.ts';
import { freeLoopbackPort } from './ports.ts';
import { failedJob, phaseAnnouncer, QEMU_DRIVER_PHASES, RefusedHosts, reportEnd } from './protocol.ts';
import { recoverPostcopy, relayed } from './postcopy.ts';
import { exportDataDisk, mirrorThenMigrate, prepareDataDisk, streamAfterCutover } from './storage.ts';

export { DEFAULT_DOWNTIME_LIMIT_MS, DEFAULT_MAX_BANDWIDTH } from './migration-info.ts';

/** What cutover's own QMP layer offers; a management layer's registry and daemons it has not. */
export const QEMU_DRIVER_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'postcopy',
  'postcopy-recover',
  'cpr-transfer',
  'shared-memory',
  'ignore-shared',
  'validate-uuid',
  'destination-uuid',
  'storage-stream-after',
  'storage-mirror-before',
  'spice',
  'spice-relocation',
  'inventory',
  'migration-relay',
  'protocol-phases',
  'refuse-prepare',
]);

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
  // What each host can run is asked of the host itself (it may be a container), once.
  const probes = new HostProbes();
  const emit = (event: DriverEvent): void => {
    for (const l of listeners) l(event);
  };
  const announce = phaseAnnouncer(emit, context.clock);
  const refused = new RefusedHosts();

  return {
    name: 'qemu',
    capabilities: QEMU_DRIVER_CAPABILITIES,
    limits: {
      registry: "cutover's qemu driver is a bare QMP layer with no registry of guests or hosts",
      'management-layer':
        "cutover's qemu driver is the harness's own management code: what it decides (when the source quits, what a failure leaves, the -uuid it passes) is not the implementation's to be judged on",
      'daemon-pools': "cutover's qemu driver runs no daemons",
      'must-succeed':
        "cutover's qemu driver has no must-succeed policy: QEMU's client_migrate_info is advice to the SPICE client, and a relocation the client cannot follow never fails the migration",
    },
    phases: QEMU_DRIVER_PHASES,
    prepareGate: { refuse: async (host, reason) => refused.refuse(host, reason) },

    /** QEMU is found on each host as a guest starts (hosts may differ): nothing to ask here. */
    async describe(): Promise<DriverDescription> {
      return { versions: {} };
    },

    async startGuest(request: StartGuestRequest): Promise<GuestHandle> {
      const { host } = request;
      const emulator =
        binary !== undefined
          ? await emulatorFor(host, binary, probes)
          : chooseEmulator(await host.emulators(), request.spec.emulator ?? 'default', host.name);
      const kvmUsable = emulator.withoutKvm ? false : await probes.kvmUsable(host);
      if (request.spec.cpr && compareVersions(emulator.version, CPR_TRANSFER_SINCE) < 0) {
        throw new Unsupported(
          `cpr-transfer needs QEMU >= ${CPR_TRANSFER_SINCE}; the ${request.spec.emulator ?? 'default'} QEMU of ${host.name} is ${emulator.version}`,
        );
      }
      if (request.spec.spice && !(await probes.hasSpice(host, emulator))) {
        throw new Unsupported(
          `QEMU ${emulator.version} of ${host.name} has no SPICE support (its -spice help lists no seamless-migration)`,
        );
      }
      if (request.spec.dataDisk !== undefined && !(await probes.hasDataDisks(host, emulator))) {
        throw new Unsupported(
          `QEMU ${emulator.version} of ${host.name} has no data disks (its -device help lists no ide-hd)`,
        );
      }
      const spicePort = request.spec.spice ? await freeLoopbackPort() : undefined;
      // The first guest of a side on a host names its files after the side alone.
      const shared = guests.some((g) => g.host === request.host && g.side === request.side);
      const tag = shared ? `${request.side}-${request.spec.name}` : request.side;
      const cprSocket =
        request.incoming && request.incomingSettings?.mode === 'cpr-transfer'
          ? join(request.host.workDir, `cpr-${tag}.sock`)
          : undefined;
      const dataDisk = await prepareDataDisk(request, tag, async () => {
        const source = guests.find(
          (g) => g.name === request.spec.name && g.side === 'source' && g.process.alive && g.attached,
        );
        if (!source) throw new Error(`no running source of ${request.spec.name} to stream its disk from`);
        return exportDataDisk(source, await freeLoopbackPort(), false);
      });
      const guest = await QemuGuest.start(
        request,
        {
          tag,
          emulator,
          kvmUsable,
          clock: context.clock,
          emit,
          ...(spicePort !== undefined && { spicePort }),
          ...(dataDisk && { dataDisk }),
        },
        cprSocket,
      );
      guests.push(guest);
      if (guest.attached) await prepareMonitor(guest);
      return guest;
    },

    async migrate(request: MigrateRequest): Promise<MigrationJob> {
      const source = asQemu(request.source);
      const destination = 'guest' in request.target ? asQemu(request.target.guest) : undefined;
      const { settings } = request;
      announce(source, 'source', 'begin3');
      if (destination) {
        announce(destination, 'destination', 'prepare');
        const refusal = refused.reasonFor(destination.host);
        if (refusal !== undefined) {
          // A destination that cannot be prepared does not stay: this management code ends it.
          emit({
            t: context.clock(),
            side: 'destination',
            guest: destination.name,
            host: destination.host.name,
            name: POLICY_EVENT,
            data: { action: 'end-destination', reason: 'prepare refused' },
          });
          await destination.destroy();
          announce(source, 'source', 'confirm3_cancelled', { status: 'failed' });
          return failedJob(`Prepare refused on ${destination.host.name}: ${refusal}`);
        }
      }
      if (settings.mode === 'cpr-transfer') {
        if (!destination?.cprSocket) throw new Error('cpr-transfer needs a destination started for it');
        return migrateByCpr(source, destination, settings);
      }
      const both = { 'x-ignore-shared': settings.ignoreShared, 'postcopy-ram': settings.postcopy };
      await setCapabilities(source, { ...both, 'validate-uuid': settings.validateUuid });
      let uri: string;
      try {
        if (destination) await setCapabilities(destination, both);
        uri = destination
          ? await relayed(await listenForIncoming(destination, settings.transport), settings)
          : `unix:${join((request.target as { unreachable: Host }).unreachable.workDir, 'nobody-listens-here.sock')}`;
      } catch (err) {
        // The destination died while it was prepared (a fault): the migration fails, the source keeps the guest.
        if (!destination || !(await endedWithin(destination, ORPHAN_GRACE_MS))) throw err;
        announce(source, 'source', 'confirm3_cancelled', { status: 'failed' });
        return failedJob(`the destination on ${destination.host.name} ended during Prepare: ${(err as Error).message}`);
      }
      await source.qmp.execute('migrate-set-parameters', {
        'max-bandwidth': settings.maxBandwidth ?? DEFAULT_MAX_BANDWIDTH,
        'downtime-limit': settings.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS,
        ...(settings.postcopyBandwidth !== undefined && { 'max-postcopy-bandwidth': settings.postcopyBandwidth }),
      });
      const relocation = request.settings.spice ?? 'destination';
      if (source.spiceAddress && relocation !== 'none') {
        const to =
          relocation === 'destination'
            ? 'guest' in request.target
              ? asQemu(request.target.guest).spiceAddress
              : undefined
            : relocation;
        if (to)
          await source.qmp.execute('client_migrate_info', { protocol: 'spice', hostname: to.host, port: to.port });
      }
      const since = source.qmp.mark();
      const destinationSince = destination?.qmp.mark() ?? 0;
      // Armed before `migrate` is sent: a source that dies before QEMU answers it (a fault
      // placed at setup) must still not leave its destination listening for ever.
      if (destination)
        void endDestinationOnSourceLoss(source, destination, since, destinationSince, context, emit).catch(
          () => undefined,
        );
      announce(source, 'source', 'perform3');
      if (destination && settings.storage?.mode === 'mirror-before') {
        await mirrorThenMigrate(source, destination, settings.storage, uri, await freeLoopbackPort(), context.log);
      } else {
        await source.qmp.execute('migrate', { uri });
      }
      void reportEnd(source, since, announce);
      if (destination) {
        void endDestinationAfterFailure(source, destination, since, context, emit).catch(() => undefined);
        void resumeSourceIfFinishFails(source, destination, since, destinationSince, context, emit).catch(
          () => undefined,
        );
      }
      void endSourceAfterHandover(source, since, quitSource, context);
      if (destination && onDestinationLoss === 'resume-source')
        void resumeSourceOnLoss(source, destination, since, context);
      if (destination && settings.storage?.mode === 'stream-after') {
        void streamAfterCutover(destination, settings.storage, destinationSince).catch((err: Error) =>
          context.log(`block-stream: ${err.message}`),
        );
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
      return Promise.all(
        here.map(async (g) => {
          const name =
            (await g.qmp.execute<{ name?: string }>('query-name', undefined, { timeoutMs: 5000 })).name ?? '';
          const uuid = (await g.qmp.execute<{ UUID: string }>('query-uuid', undefined, { timeoutMs: 5000 })).UUID;
          return { name, uuid, state: await g.runState().catch(() => 'unknown') };
        }),
      );
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

/** Turns on the capabilities asked for (those left undefined or false stay as QEMU has them). */
export async function setCapabilities(guest: QemuGuest, wanted: Record<string, boolean | undefined>): Promise<void> {
  const capabilities = Object.entries(wanted)
    .filter(([, on]) => on)
    .map(([capability]) => ({ capability, state: true }));
  if (capabilities.length) await guest.qmp.execute('migrate-set-capabilities', { capabilities });
}

/** Whether the guest's QEMU ends within ms (a monitor that went away is reaped a moment later). */
const endedWithin = (guest: QemuGuest, ms: number): Promise<boolean> =>
  Promise.race([guest.exited.then(() => true), sleep(ms).then(() => false)]);

function asQemu(guest: GuestHandle): QemuGuest {
  if (!(guest instanceof QemuGuest)) throw new Error('the qemu driver was handed a guest it did not start');
  return guest;
}

export async function listenForIncoming(destination: QemuGuest, transport: 'unix' | 'tcp'): Promise<string> {
  const uri =
    transport === 'unix'
      ? `unix:${join(destination.host.workDir, `migration-${destination.tag}.sock`)}`
      : `tcp:${destination.host.address}:${await freeLoopbackPort()}`;
  await destination.qmp.execute('migrate-incoming', { uri });
  return uri;
}
