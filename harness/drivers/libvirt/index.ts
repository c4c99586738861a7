import { copyFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '../../util/command.ts';
import type { Host } from '../../hosts/types.ts';
import { domainXml, withDataDisk, withSerialSocket } from './domain-xml.ts';
import { watchDomainEvents } from './events.ts';
import { hostUri, virsh, VirshError } from './virsh.ts';
import { UsageError } from '../../util/errors.ts';
import { Unsupported } from '../types.ts';
import type {
  Capability,
  Driver,
  DriverContext,
  DriverEvent,
  GuestHandle,
  MigrateRequest,
  MigrationInfo,
  MigrationJob,
  MigrationStatus,
  StartGuestRequest,
} from '../types.ts';
import { libvirtDaemons } from './daemons.ts';
import { LibvirtGuest, VirshTranscript } from './guest.ts';
import { flagsFrom, mib, migrateFlags } from './migrate-flags.ts';
import { enablePhaseLog, followPhases } from './phases.ts';
import { refuseMigrationsTo } from './prepare-gate.ts';

/** What libvirt offers as a management layer (its registry, its daemons), and what it does not. */
const LIBVIRT_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'postcopy',
  'postcopy-recover',
  'storage-mirror-before',
  'spice',
  'spice-relocation',
  'inventory',
  'registry',
  'daemon-pools',
  'management-layer',
  'protocol-phases',
  'refuse-prepare',
]);

const LIBVIRT_LIMITS: Readonly<Partial<Record<Capability, string>>> = {
  'storage-stream-after':
    'libvirt streams no storage after cut-over: its storage copy (--copy-storage-all) ends before the switch',
  'ignore-shared': 'libvirt offers no x-ignore-shared migration',
  'shared-memory':
    'guest RAM shared between two QEMUs of one host is not offered: libvirt refuses migration within one host',
  'cpr-transfer': 'libvirt offers no cpr-transfer migration',
  'validate-uuid':
    'libvirt gives QEMU no validate-uuid: a domain has one UUID on both sides, checked by libvirt itself',
  'destination-uuid':
    'libvirt migrates a domain under its own UUID; another UUID at the destination cannot be asked for',
  'migration-relay': "libvirt's hosts carry the migration over their own network",
  'must-succeed':
    'libvirt has no must-succeed flag or element: a failure in Prepare or Finish already fails the migration and resumes the source (its migrate hook, a disk whose startupPolicy is mandatory, --persistent failing at the destination: see V3-01 and V3-03), but a graphics relocation the client cannot follow never fails a migration',
};

/** The phases of libvirt's migration job (qemuMigrationJobPhase), as its debug log names them. */
const LIBVIRT_PHASES = {
  source: [
    'begin3',
    'perform3',
    'perform3_done',
    'confirm3',
    'confirm3_cancelled',
    'begin_resume',
    'perform_resume',
    'confirm_resume',
    'postcopy_failed',
  ],
  destination: ['prepare', 'finish3', 'prepare_resume', 'finish_resume', 'postcopy_failed'],
} as const;

/**
 * libvirt as the management layer under test: guests are domains of each host's libvirtd,
 * driven with virsh over TCP from the harness; QEMU's own events come through libvirt.
 */
export function createLibvirtDriver(context: DriverContext): Driver {
  const flags = flagsFrom(context.options);
  const listeners = new Set<(e: DriverEvent) => void>();
  const guests: LibvirtGuest[] = [];
  const watchers = new Map<string, { stop(): void }>();
  /** Domains migrating now, per host and side: phase lines of another thread are theirs. */
  const migrating: Array<{ readonly host: Host; readonly side: 'source' | 'destination'; readonly name: string }> = [];
  const emit = (event: DriverEvent): void => {
    for (const l of listeners) l(event);
  };

  /** One event stream and one phase log per daemon; each event goes to the guest of that host and name. */
  const watch = async (host: Host): Promise<void> => {
    const uri = hostUri(host.address);
    if (watchers.has(uri)) return;
    await enablePhaseLog(host);
    const only = (side: 'source' | 'destination'): string | undefined => {
      const names = migrating.filter((m) => m.host === host && m.side === side).map((m) => m.name);
      return names.length === 1 ? names[0] : undefined;
    };
    const phases = followPhases(host, context.clock, only, (p) => {
      emit({
        t: p.t,
        side: p.side,
        host: host.name,
        name: 'LIBVIRT_PHASE',
        phase: p.phase,
        ...(p.domain !== undefined && { guest: p.domain }),
      });
    });
    watchers.set(`${uri} phases`, phases);
    watchers.set(
      uri,
      watchDomainEvents(uri, context.clock, (e) => {
        const guest = guests.find((g) => g.host === host && g.name === e.domain);
        if (!guest) return;
        if (e.event === 'SHUTDOWN') guest.noteExit();
        const status = e.event === 'MIGRATION' ? (e.data as { status?: string } | undefined)?.status : undefined;
        if (status) guest.lastMigrationStatus = status as MigrationStatus;
        emit({
          t: e.t,
          side: guest.side,
          guest: guest.name,
          host: host.name,
          name: e.event,
          data: e.data,
          ...(status && { migrationStatus: status as MigrationStatus }),
        });
      }),
    );
  };

  return {
    name: 'libvirt',
    hostKinds: ['container'],
    capabilities: LIBVIRT_CAPABILITIES,
    limits: LIBVIRT_LIMITS,
    daemons: libvirtDaemons,
    phases: LIBVIRT_PHASES,
    prepareGate: { refuse: refuseMigrationsTo },

    async describe() {
      const result = await exec(['virsh', '--version'], 10_000).catch(() => undefined);
      if (result?.code !== 0) {
        throw new UsageError(
          'virsh is not installed, so the libvirt driver cannot reach any daemon',
          'run `npx cutover setup` (libvirt-clients)',
        );
      }
      return { versions: { virsh: result.stdout.trim() } };
    },

    async startGuest(request: StartGuestRequest): Promise<GuestHandle> {
      const { host, spec, side } = request;
      if (host.kind === 'process')
        throw new UsageError('the libvirt driver needs hosts that run libvirtd', 'use --hosts container');
      await watch(host);
      const transcript = new VirshTranscript(join(host.workDir, `virsh-${side}.log`), context.clock);
      const accelerator = await pickDomainType(host, spec.accel);
      const guest = new LibvirtGuest(
        side,
        host,
        spec.name,
        spec.serialSocket,
        accelerator === 'kvm' ? 'kvm' : 'tcg',
        transcript,
        context.clock,
        spec.uuid,
      );
      guests.push(guest);
      if (request.incoming) return guest; // libvirt creates the destination domain when migration begins
      // The boot disk lives in the source's folder, which every host of the scenario sees at
      // the same path: shared storage, as a real cluster would have.
      const bootImage = join(host.workDir, `boot-${spec.name}.img`);
      await copyFile(spec.bootImage, bootImage);
      const xmlFile = join(host.workDir, `domain-${spec.name}.xml`);
      const dataDisk = spec.dataDisk !== undefined ? join(host.workDir, `data-${spec.name}.raw`) : undefined;
      if (spec.dataDisk !== undefined && dataDisk !== undefined) await copyFile(spec.dataDisk, dataDisk);
      await writeFile(
        xmlFile,
        domainXml({ spec, type: accelerator, bootImage, ...(dataDisk !== undefined && { dataDisk }) }),
      );
      await guest.virsh(['define', xmlFile]).catch((err: unknown) => {
        // The host's QEMU was built without SPICE (Debian's QEMU 10.0): the scenario does not apply here.
        if (spec.spice && err instanceof VirshError && /spice/i.test(err.libvirtMessage))
          throw new Unsupported(`libvirt on ${host.name}: ${err.libvirtMessage}`);
        throw err;
      });
      await guest.virsh(['start', spec.name]);
      // Taken now: when migrating, the daemon may have no worker left for a low-priority call.
      guest.migratableXml = await guest.virsh(['dumpxml', '--migratable', spec.name]);
      if (spec.spice) await guest.findSpiceAddress();
      return guest;
    },

    async migrate(request: MigrateRequest): Promise<MigrationJob> {
      const source = asLibvirt(request.source);
      const targetHost = 'guest' in request.target ? request.target.guest.host : request.target.unreachable;
      // Nothing listens on port 1 of the target: the daemon is unreachable, the host is not.
      const destUri =
        'guest' in request.target ? hostUri(targetHost.address) : `qemu+tcp://${targetHost.address}:1/system`;
      const destination = 'guest' in request.target ? asLibvirt(request.target.guest) : undefined;
      const args = ['migrate', ...migrateFlags(flags, request.settings)];
      if (destination) {
        // The destination's COM1 reports on the destination's own socket.
        let xml = withSerialSocket(
          source.migratableXml ?? (await source.virsh(['dumpxml', '--migratable', source.name])),
          destination.serialSocket,
        );
        // Every host sees every folder: the destination must get its own, empty, copy to fill.
        if (request.settings.storage?.mode === 'mirror-before')
          xml = withDataDisk(xml, await emptyDiskLike(source, targetHost));
        const xmlFile = join(targetHost.workDir, `domain-${source.name}-incoming.xml`);
        await writeFile(xmlFile, xml);
        args.push('--xml', xmlFile);
      }
      // Where the SPICE client goes. Left to itself, libvirt sends it to the destination's
      // *hostname* when graphics listen on 0.0.0.0, which a client outside the hosts' DNS
      // cannot resolve (remote-viewer then ends its session): name the address instead.
      const spice = request.settings.spice ?? 'destination';
      if (source.spiceAddress && spice !== 'none') {
        const to = spice === 'destination' ? `spice://${targetHost.address}` : `spice://${spice.host}:${spice.port}`;
        args.push('--graphicsuri', to);
      }
      if (request.settings.downtimeLimitMs) {
        await source
          .virsh(['migrate-setmaxdowntime', source.name, String(request.settings.downtimeLimitMs)])
          .catch(() => undefined);
      }
      // The migration URI is left to libvirt: each daemon's migration_host is its own address.
      args.push(source.name, destUri);

      let outcome: MigrationInfo | undefined;
      let cancelled = false;
      const inFlight = [
        { host: source.host, side: 'source' as const, name: source.name },
        { host: targetHost, side: 'destination' as const, name: source.name },
      ];
      const finish = (info: MigrationInfo): void => {
        outcome = info;
        // Kept a moment: the log of the job's last phases is read a little after they were written.
        setTimeout(() => {
          for (const m of inFlight) if (migrating.includes(m)) migrating.splice(migrating.indexOf(m), 1);
        }, 1000).unref();
        // libvirt's verdict on the job, as an event: there may be no QEMU event at all (a
        // daemon that cannot be reached never starts QEMU's migration).
        emit({
          t: context.clock(),
          side: 'source',
          guest: source.name,
          host: source.host.name,
          name: 'LIBVIRT_MIGRATE_JOB',
          migrationStatus: info.status,
          data: info,
        });
      };
      // virsh migrate returns when libvirt's job ends; a post-copy resume is another such call.
      const perform = (extra: string[]): void => {
        outcome = undefined;
        migrating.push(...inFlight);
        void source.virsh([...args.slice(0, -2), ...extra, ...args.slice(-2)], 30 * 60_000).then(
          () => finish({ status: 'completed' }),
          (err: unknown) => {
            const text = err instanceof VirshError ? err.libvirtMessage : String(err);
            finish({ status: cancelled || /cancel|abort/i.test(text) ? 'cancelled' : 'failed', errorDesc: text });
          },
        );
      };
      perform([]);
      return {
        info: async () => outcome ?? { status: source.lastMigrationStatus ?? 'setup', jobRunning: true },
        cancel: async () => {
          cancelled = true;
          await source.virsh(['domjobabort', source.name]);
        },
        startPostcopy: async () => void (await source.virsh(['migrate-postcopy', source.name])),
        recover: async (options) => {
          if (options.postcopyBandwidth)
            await source
              .virsh(['migrate-setspeed', source.name, '--postcopy', mib(options.postcopyBandwidth)])
              .catch(() => undefined);
          perform(['--postcopy-resume']);
        },
      };
    },

    /** The domains the host's daemon holds, defined or running. */
    async inventory(host) {
      const uri = hostUri(host.address);
      const names = (await virsh(uri, ['list', '--all', '--name'], 10_000))
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      return Promise.all(
        names.map(async (name) => ({
          name,
          uuid: (await virsh(uri, ['domuuid', name], 10_000)).trim(),
          state: (await virsh(uri, ['domstate', name], 10_000)).trim(),
        })),
      );
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      await Promise.all(guests.map((g) => g.destroy().catch(() => undefined)));
      for (const w of watchers.values()) w.stop();
      watchers.clear();
    },
  };

  function asLibvirt(guest: GuestHandle): LibvirtGuest {
    if (!(guest instanceof LibvirtGuest)) throw new Error('the libvirt driver was handed a guest it did not start');
    return guest;
  }
}

/** An empty file the size of the source's data disk, in the target host's folder. */
async function emptyDiskLike(source: LibvirtGuest, target: Host): Promise<string> {
  const original = join(source.host.workDir, `data-${source.name}.raw`);
  const path = join(target.workDir, `data-${source.name}-incoming.raw`);
  await writeFile(path, '');
  await truncate(path, (await stat(original)).size);
  return path;
}

async function pickDomainType(host: Host, accel: 'auto' | 'kvm' | 'tcg'): Promise<'kvm' | 'qemu'> {
  if (accel === 'tcg') return 'qemu';
  if (accel === 'kvm') return 'kvm';
  const probe = await host.exec(['test', '-w', '/dev/kvm'], { timeoutMs: 5000 }).catch(() => undefined);
  return probe?.code === 0 ? 'kvm' : 'qemu';
}
