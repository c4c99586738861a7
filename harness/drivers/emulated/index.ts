import { chooseEmulator } from '../../hosts/emulators.ts';
import type { Host } from '../../hosts/types.ts';
import { UsageError } from '../../util/errors.ts';
import { DeadlineError, withDeadline } from '../../util/deadline.ts';
import { prepareMonitor, QemuGuest } from '../qemu/guest.ts';
import { freeLoopbackPort } from '../qemu/ports.ts';
import { phaseAnnouncer, RefusedHosts } from '../qemu/protocol.ts';
import {
  PROBE_CALLS,
  type Capability,
  type DaemonFacet,
  type Driver,
  type DriverContext,
  type DriverEvent,
  type GuestHandle,
  type MigrationJob,
  type MigrationStatus,
  type ProbeResult,
  type ProtocolPhases,
  type StartGuestRequest,
} from '../types.ts';
import { EmulatedDaemon, type Domain } from './daemon.ts';
import { DomainGuest } from './guest.ts';
import { cleanDestination, recoverOutgoing, runMigration, type JobEnd } from './migration.ts';
import { isLiveUpgrade, recoverUpgrade, runUpgrade } from './upgrade.ts';
import { monotonicClock } from '../../util/clock.ts';

// The emulated management layer: a daemon per host (daemon.ts) with a registry, a worker pool
// and keepalive, migrating peer to peer in libvirt's five phases over cutover's emulated
// QEMU (or any QEMU the hosts offer). Its hosts are emulated hosts, which carry the daemon's
// settings and bug variants. It is an addition to libvirt, not a stand-in: what it proves
// is that the suites and judges work, not that libvirt does. Beyond libvirt, it offers a
// same-host live upgrade over shared RAM (upgrade.ts), so SHU-05 has a management layer to
// judge, and a must-succeed policy for graphics relocation (Finish, migration.ts), for V3-05.

const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'postcopy',
  'inventory',
  'registry',
  'daemon-pools',
  'management-layer',
  'protocol-phases',
  'refuse-prepare',
  'migration-relay',
  'spice',
  'spice-relocation',
  'shared-memory',
  'ignore-shared',
  'must-succeed',
]);

const PHASES: ProtocolPhases = {
  source: ['begin3', 'perform3', 'perform3_done', 'confirm3', 'confirm3_cancelled', 'postcopy_failed'],
  destination: ['prepare', 'finish3'],
};

export function createEmulatedDriver(context: DriverContext): Driver {
  const listeners = new Set<(e: DriverEvent) => void>();
  const emit = (event: DriverEvent): void => {
    for (const l of listeners) l(event);
  };
  const announce = phaseAnnouncer(emit, context.clock);
  const daemons = new Map<Host, EmulatedDaemon>();
  const guests: DomainGuest[] = [];
  const refused = new RefusedHosts();

  const daemonOf = (host: Host): EmulatedDaemon => {
    let daemon = daemons.get(host);
    if (!daemon) {
      if (!host.emulatedDaemon)
        throw new UsageError(
          `the emulated driver needs hosts that run its daemon; ${host.name} is a ${host.kind} host`,
          'use --hosts emulated',
        );
      daemon = new EmulatedDaemon(host, host.emulatedDaemon);
      daemons.set(host, daemon);
    }
    return daemon;
  };

  /** `startPaused`: an incoming guest waits for Finish to resume it, as libvirt starts it (-S). */
  const startQemu = async (guest: DomainGuest, uuid?: string, startPaused = false): Promise<QemuGuest> => {
    const request = uuid === undefined ? guest.request : { ...guest.request, spec: { ...guest.request.spec, uuid } };
    const emulator = chooseEmulator(
      await request.host.emulators(),
      request.spec.emulator ?? 'default',
      request.host.name,
    );
    const tag = `${request.side}-${request.spec.name}`;
    const spicePort = request.spec.spice ? await freeLoopbackPort() : undefined;
    const qemu = await QemuGuest.start(request, {
      tag,
      emulator,
      kvmUsable: false,
      clock: context.clock,
      emit,
      startPaused,
      ...(spicePort !== undefined && { spicePort }),
    });
    await prepareMonitor(qemu);
    return qemu;
  };

  const facet: DaemonFacet = {
    pool: async (host) => {
      const daemon = daemonOf(host);
      if (daemon.life !== 'running') throw new Error(`the daemon of ${host.name} does not answer (${daemon.life})`);
      return daemon.pool.info();
    },
    probe: async (host, call, name, withinMs) => {
      const daemon = daemonOf(host);
      const started = monotonicClock();
      const base = { call: `${call} ${name}`, priority: PROBE_CALLS[call] };
      const latency = (): number => Math.round((monotonicClock() - started) * 10) / 10;
      try {
        const detail = await withDeadline(
          `${call} on ${host.name}`,
          withinMs,
          daemon.call(PROBE_CALLS[call] === 'high', async () => answer(daemon, call, name)),
        );
        return { ...base, outcome: 'answered', latencyMs: latency(), detail } satisfies ProbeResult;
      } catch (err) {
        const timedOut = err instanceof DeadlineError;
        return {
          ...base,
          outcome: timedOut ? 'no-answer' : 'error',
          latencyMs: latency(),
          detail: (err as Error).message,
        };
      }
    },
    signal: async (host, signal) => {
      const daemon = daemonOf(host);
      if (signal === 'SIGSTOP') daemon.freeze();
      else if (signal === 'SIGCONT') daemon.thaw();
      else daemon.kill();
    },
    restart: async (host) => {
      const daemon = daemonOf(host);
      daemon.kill();
      daemon.start();
      // What a restarted daemon does with the jobs its domains were in.
      for (const domain of [...daemon.domains.values()]) {
        if (domain.job && daemon.bugs.has('forgets-jobs-on-restart')) daemon.domains.delete(domain.name);
        else if (domain.job?.kind === 'upgrade') await recoverUpgrade(daemon, domain);
        else if (domain.job?.kind === 'out') await recoverOutgoing(daemon, domain);
        else if (domain.job?.kind === 'in') await cleanDestination(daemon, domain);
      }
    },
  };

  return {
    name: 'emulated',
    hostKinds: ['emulated'],
    capabilities: CAPABILITIES,
    limits: {
      'cpr-transfer': 'the emulated daemon offers no cpr-transfer migration (as libvirt)',
      'validate-uuid': 'the emulated daemon checks UUIDs itself (as libvirt)',
      'destination-uuid': 'the emulated daemon migrates a domain under its own UUID (as libvirt)',
      'postcopy-recover': 'the emulated daemon does not recover a paused post-copy migration',
      'storage-stream-after': 'the emulated daemon streams no storage after cut-over (as libvirt)',
      'storage-mirror-before':
        'the emulated daemon drives no storage mirror yet (the emulated QEMU has one: see the qemu driver)',
    },
    daemons: facet,
    phases: PHASES,
    prepareGate: { refuse: async (host, reason) => refused.refuse(host, reason) },

    async describe() {
      return { versions: { 'emulated daemon': '1' } };
    },

    async startGuest(request: StartGuestRequest): Promise<GuestHandle> {
      const daemon = daemonOf(request.host);
      const guest = new DomainGuest(request);
      guests.push(guest);
      if (request.incoming) return guest; // the daemon starts it in Prepare
      const uuid = request.spec.uuid ?? crypto.randomUUID();
      await daemon.call(false, async () => {
        const taken = daemon.domains.get(request.spec.name);
        if (taken)
          throw new Error(`operation failed: domain '${request.spec.name}' already exists with uuid ${taken.uuid}`);
        const qemu = await startQemu(guest, uuid);
        guest.attach(qemu);
        daemon.domains.set(request.spec.name, { name: request.spec.name, uuid, guest: qemu });
      });
      return guest;
    },

    async migrate(request): Promise<MigrationJob> {
      const source = asDomain(request.source);
      if (!('guest' in request.target)) {
        return endedJob(
          {
            status: 'failed',
            errorDesc: `unable to connect to server at '${request.target.unreachable.address}:1': Connection refused`,
          },
          emit,
          context,
          source,
        );
      }
      const destination = asDomain(request.target.guest);
      const src = daemonOf(source.host);
      const dst = daemonOf(destination.host);
      const parties = {
        source: { daemon: src, guest: source },
        destination: { daemon: dst, guest: destination },
        settings: request.settings,
        // Post-copy runs the guest at the destination from the switch (QEMU's autostart), where
        // libvirt resumes it in a Finish that comes at the switch: the emulated daemon's Finish
        // comes at the end, so only a pre-copy destination starts paused.
        startQemu: (uuid: string) => startQemu(destination, uuid, !request.settings.postcopy),
        announce: (side: 'source' | 'destination', phase: string, data?: unknown) =>
          announce(side === 'source' ? source : destination, side, phase, data),
        tell: (side: 'source' | 'destination', name: string, data?: unknown) => {
          const guest = side === 'source' ? source : destination;
          emit({
            t: context.clock(),
            side,
            guest: guest.name,
            host: guest.host.name,
            name,
            ...(data !== undefined && { data }),
          });
        },
        prepareRefusal: () => refused.reasonFor(destination.host),
      };
      let end: JobEnd | undefined;
      let status: MigrationStatus = 'setup';
      const progress = { postcopy: false, cancelled: false };
      // A migration to the daemon's own host is a live upgrade when it asks for one; else refused in Begin.
      const run = src === dst && isLiveUpgrade(request.settings, source.request.spec) ? runUpgrade : runMigration;
      void src
        .call(false, (generation) => run({ ...parties, progress }, generation, (s) => (status = s)))
        .catch((err: Error) => ({ status: 'failed' as const, errorDesc: err.message }))
        .then((info) => {
          end = info;
          emit({
            t: context.clock(),
            side: 'source',
            guest: source.name,
            host: source.host.name,
            name: 'EMULATED_MIGRATE_JOB',
            migrationStatus: info.status,
            data: info,
          });
        });
      return {
        info: async () => end ?? { status, jobRunning: true },
        // Aborting a job is a high-priority call, as libvirt's virDomainAbortJob; one that comes
        // before QEMU migrates (Begin, Prepare) is remembered, and Perform does not start.
        cancel: async () => {
          const qemu = source.qemu;
          progress.cancelled = true;
          await src.call(true, async () => void (await qemu?.qmp.execute('migrate_cancel')));
        },
        startPostcopy: async () => {
          const qemu = source.qemu;
          progress.postcopy = true;
          await src.call(false, async () => void (await qemu?.qmp.execute('migrate-start-postcopy')));
        },
      };
    },

    async inventory(host) {
      const daemon = daemonOf(host);
      return daemon.call(true, async () =>
        Promise.all(
          [...daemon.domains.values()].map(async (d) => ({
            name: d.name,
            uuid: d.uuid,
            state: d.guest?.process.alive ? stateWord(await d.guest.runState().catch(() => 'unknown')) : shutOff(d),
          })),
        ),
      );
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      for (const daemon of daemons.values()) daemon.thaw();
      await Promise.all(guests.map((g) => g.destroy().catch(() => undefined)));
      for (const daemon of daemons.values())
        for (const d of daemon.domains.values()) await d.guest?.destroy().catch(() => undefined);
    },
  };

  function asDomain(guest: GuestHandle): DomainGuest {
    if (!(guest instanceof DomainGuest)) throw new Error('the emulated driver was handed a guest it did not start');
    return guest;
  }
}

/** libvirt's words for a domain's state. */
function stateWord(runState: string): string {
  if (runState === 'running') return 'running';
  if (runState === 'gone') return 'shut off';
  return 'paused';
}

/** A domain without a running QEMU: shut off, and crashed (virsh domstate --reason) when its guest was lost. */
function shutOff(domain: Domain): string {
  return domain.lost ? 'shut off (crashed)' : 'shut off';
}

async function answer(daemon: EmulatedDaemon, call: keyof typeof PROBE_CALLS, name: string): Promise<string> {
  const domain = daemon.domains.get(name);
  if (call === 'list') return [...daemon.domains.keys()].join(' ');
  if (!domain) throw new Error(`failed to get domain '${name}'`);
  if (call === 'destroy') {
    await domain.guest?.destroy();
    daemon.domains.delete(name);
    return `Domain '${name}' destroyed`;
  }
  if (call === 'domstate')
    return domain.guest?.process.alive ? stateWord(await domain.guest.runState()) : shutOff(domain);
  return domain.job ? `Job type: Unbounded; phase ${domain.job.phase}` : 'Job type: None';
}

/** A job that ended before it began (nothing listens at the target). */
function endedJob(
  info: JobEnd,
  emit: (e: DriverEvent) => void,
  context: DriverContext,
  source: DomainGuest,
): MigrationJob {
  emit({
    t: context.clock(),
    side: 'source',
    guest: source.name,
    host: source.host.name,
    name: 'EMULATED_MIGRATE_JOB',
    migrationStatus: info.status,
    data: info,
  });
  return { info: async () => info, cancel: async () => undefined };
}
