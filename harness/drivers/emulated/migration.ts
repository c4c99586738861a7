import { randomUUID } from 'node:crypto';
import { pollUntil } from '../../util/deadline.ts';
import { DEFAULT_DOWNTIME_LIMIT_MS, DEFAULT_MAX_BANDWIDTH, listenForIncoming, setCapabilities } from '../qemu/index.ts';
import { relayed } from '../qemu/postcopy.ts';
import type { QemuGuest } from '../qemu/guest.ts';
import type { MigrationInfo, MigrationSettings, MigrationStatus, Side } from '../types.ts';
import type { Domain, EmulatedDaemon, PeerLink } from './daemon.ts';
import type { DomainGuest } from './guest.ts';

// A peer-to-peer migration as the emulated daemon runs it, in libvirt's five phases: Begin
// (source), Prepare (destination: its QEMU started, listening), Perform (source: QEMU
// migrates), Finish (destination: the guest is its now, or is cleaned up), Confirm (source:
// its QEMU quits, or resumes the guest when the migration did not complete). The source
// daemon's `migrate` call holds one of its workers throughout; each call to the peer is
// watched by keepalive.

export interface MigrationParties {
  readonly source: { readonly daemon: EmulatedDaemon; readonly guest: DomainGuest };
  readonly destination: { readonly daemon: EmulatedDaemon; readonly guest: DomainGuest };
  readonly settings: MigrationSettings;
  /** Starts the destination's QEMU (incoming) for the guest, under this UUID. */
  readonly startQemu: (uuid: string) => Promise<QemuGuest>;
  readonly announce: (side: Side, phase: string, data?: unknown) => void;
  /** An event of the daemon's own (what it decided), not a phase. */
  readonly tell: (side: Side, name: string, data?: unknown) => void;
  /** Refusal text of the destination's Prepare (the refuse-prepare fault), if armed. */
  readonly prepareRefusal: () => string | undefined;
  /** Whether the switch to post-copy was asked: from then on the destination holds the guest. */
  readonly progress: { readonly postcopy: boolean; readonly cancelled: boolean };
  /** The source QMP's event mark when `migrate` was sent. */
  since?: number;
  /** Whether a SPICE client was connected at the source when the migration began. */
  spiceClient?: boolean;
}

/**
 * libvirt waits for SPICE_MIGRATE_COMPLETED with no bound of its own, trusting spice-server's
 * 10 s; the emulated daemon's wait is bounded far beyond that, so it never hangs a run.
 */
const SPICE_WAIT_MS = 60_000;

/**
 * How long Finish waits for a SPICE client that must follow the guest (graphics-relocation
 * marked must-succeed): spice-server's own MIGRATE_TIMEOUT, after which the source gives up
 * on the client too.
 */
const RELOCATION_WAIT_MS = 10_000;

export class MigrationFailed extends Error {}

/** What the job ends with, in query-migrate's words. */
export type JobEnd = MigrationInfo;

/** Begin, on a source worker: the domain and its QEMU. */
export function begin(p: MigrationParties): { domain: Domain; qemu: QemuGuest } {
  const domain = p.source.daemon.domains.get(p.source.guest.name);
  const qemu = p.source.guest.qemu;
  if (!domain || !qemu)
    throw new MigrationFailed(`Domain not found: no domain with matching name '${p.source.guest.name}'`);
  p.announce('source', 'begin3');
  return { domain, qemu };
}

/** The whole job, run on a source worker: resolves with how it ended. */
export async function runMigration(
  p: MigrationParties,
  generation: number,
  status: (s: MigrationStatus) => void,
): Promise<JobEnd> {
  const src = p.source.daemon;
  const dst = p.destination.daemon;
  const { domain, qemu } = begin(p);
  if (src.hostUuid === dst.hostUuid && !src.bugs.has('allows-own-host')) {
    throw new MigrationFailed(`internal error: Attempt to migrate guest to the same host ${src.hostUuid}`);
  }
  if (p.settings.ignoreShared)
    throw new MigrationFailed(
      'operation unsupported: x-ignore-shared is offered only for a live upgrade within one host (shared memory, a UNIX socket)',
    );
  domain.job = { kind: 'out', phase: 'begin3', peer: dst };
  const link = src.connect(dst);
  const viaPeer = <T>(work: (g: number) => Promise<T>): Promise<T> =>
    Promise.race([dst.call(!src.bugs.has('deadlocks-crossed-p2p'), work), link.broken]);
  try {
    const uri = await viaPeer((g) => prepare(p, domain, g, generation));
    await src.step(generation);
    domain.job.phase = 'perform3';
    p.announce('source', 'perform3');
    const ended = await perform(p, qemu, uri, link, src, generation, status);
    if (ended !== 'completed' && p.progress.postcopy) {
      // After the switch the destination runs the guest: it stays, paused on what it lacks (libvirt's postcopy_failed).
      p.announce('source', 'postcopy_failed');
      domain.job = undefined;
      return { status: 'failed', errorDesc: `operation failed: post-copy migration failed: ${await errorOf(qemu)}` };
    }
    if (ended !== 'completed') {
      await confirmCancelled(p, domain, generation);
      return {
        status: ended === 'cancelled' ? 'cancelled' : 'failed',
        errorDesc:
          ended === 'cancelled'
            ? 'operation aborted: migration job: canceled by client'
            : `operation failed: job 'migration out' failed: ${await errorOf(qemu)}`,
      };
    }
    domain.job.phase = 'perform3_done';
    p.announce('source', 'perform3_done');
    try {
      await viaPeer((g) => finish(p, g));
    } catch (err) {
      await confirmCancelled(p, domain, generation);
      return { status: 'failed', errorDesc: (err as Error).message };
    }
    await src.step(generation);
    p.announce('source', 'confirm3');
    src.domains.delete(domain.name);
    await quitSource(p, qemu);
    return { status: 'completed' };
  } catch (err) {
    if (generation !== src.generation) throw err; // the source daemon died: its restart recovers the job
    await confirmCancelled(p, domain, generation).catch(() => undefined);
    return { status: 'failed', errorDesc: (err as Error).message };
  } finally {
    link.close();
  }
}

/** Prepare, on a destination worker: the registry checked, the hook asked, QEMU started and listening. */
async function prepare(
  p: MigrationParties,
  source: Domain,
  generation: number,
  sourceGeneration: number,
): Promise<string> {
  const dst = p.destination.daemon;
  p.announce('destination', 'prepare');
  const same = [...dst.domains.values()].find((d) => d.uuid === source.uuid);
  if (same && !dst.bugs.has('accepts-duplicate-uuid'))
    throw new MigrationFailed(`operation failed: domain '${same.name}' is already defined with uuid ${same.uuid}`);
  const named = dst.domains.get(source.name);
  if (named && named.uuid !== source.uuid && !dst.bugs.has('accepts-duplicate-name')) {
    throw new MigrationFailed(`operation failed: domain '${source.name}' already exists with uuid ${named.uuid}`);
  }
  const uuid = dst.bugs.has('loses-identity') ? randomUUID() : source.uuid;
  const domain: Domain = { name: source.name, uuid, job: { kind: 'in', phase: 'prepare', peer: p.source.daemon } };
  dst.domains.set(`${source.name}${named ? `#${source.uuid}` : ''}`, domain);
  const refusal = p.prepareRefusal();
  if (refusal !== undefined) {
    if (!dst.bugs.has('keeps-failed-destination')) dst.domains.delete(source.name);
    throw hookFailed(refusal);
  }
  const qemu = await p.startQemu(uuid);
  p.destination.guest.attach(qemu);
  domain.guest = qemu;
  await dst.step(generation);
  await setCapabilities(qemu, { 'postcopy-ram': p.settings.postcopy });
  const uri = await relayed(await listenForIncoming(qemu, p.settings.transport), p.settings);
  // The destination watches its source too: if the source daemon goes, the incoming guest goes.
  const back = dst.connect(p.source.daemon, sourceGeneration);
  void back.broken.catch(() => {
    if (domain.job?.kind === 'in') void cleanDestination(dst, domain);
  });
  void qemu.exited.finally(() => back.close());
  return uri;
}

/** The refuse-prepare fault's failure, in libvirt's words for a hook that said no. */
export function hookFailed(refusal: string): MigrationFailed {
  return new MigrationFailed(
    `hook script execution failed: internal error: Hook script /etc/libvirt/hooks/qemu operation migrate/begin failed with error code 1: ${refusal}`,
  );
}

/** Perform: QEMU migrates; the job ends with QEMU's end, or when the peer is given up (QEMU's migration is then cancelled). */
export async function perform(
  p: MigrationParties,
  qemu: QemuGuest,
  uri: string,
  link: PeerLink,
  src: EmulatedDaemon,
  generation: number,
  status: (s: MigrationStatus) => void,
): Promise<'completed' | 'failed' | 'cancelled'> {
  const { settings } = p;
  await setCapabilities(qemu, { 'postcopy-ram': settings.postcopy, 'x-ignore-shared': settings.ignoreShared });
  await qemu.qmp.execute('migrate-set-parameters', {
    'max-bandwidth': settings.maxBandwidth ?? DEFAULT_MAX_BANDWIDTH,
    'downtime-limit': settings.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS,
    ...(settings.postcopyBandwidth !== undefined && { 'max-postcopy-bandwidth': settings.postcopyBandwidth }),
  });
  const relocation = settings.spice ?? 'destination';
  const target =
    relocation === 'destination' ? p.destination.guest.spiceAddress : relocation === 'none' ? undefined : relocation;
  if (qemu.spiceAddress && target)
    await qemu.qmp.execute('client_migrate_info', { protocol: 'spice', hostname: target.host, port: target.port });
  p.spiceClient = qemu.spiceAddress !== undefined && (await qemu.spice()).channels.length > 0;
  if (p.progress.cancelled) return 'cancelled';
  const since = qemu.qmp.mark();
  p.since = since;
  await qemu.qmp.execute('migrate', { uri });
  status('active');
  try {
    const end = await Promise.race([qemu.migrationEnded(since), link.broken]);
    await src.step(generation);
    return end ?? 'failed';
  } catch (err) {
    await src.step(generation);
    // The peer was given up: QEMU's migration is cancelled, the failure is the link's.
    await qemu.qmp.execute('migrate_cancel').catch(() => undefined);
    throw err;
  }
}

/** Finish, on a destination worker: the guest must be running there; if not, it is cleaned up. */
async function finish(p: MigrationParties, generation: number): Promise<void> {
  const dst = p.destination.daemon;
  p.announce('destination', 'finish3');
  const domain = dst.domains.get(p.destination.guest.name);
  const qemu = domain?.guest;
  const state = qemu?.process.alive ? await qemu.runState().catch(() => 'gone') : 'gone';
  await dst.step(generation);
  if (!domain || !qemu || state === 'gone') {
    if (domain) dst.domains.delete(domain.name);
    throw new MigrationFailed(
      `Domain not found: no domain with matching uuid '${p.source.guest.uuid ?? ''}' (${p.destination.guest.name})`,
    );
  }
  if (
    p.settings.mustSucceed?.includes('graphics-relocation') &&
    p.spiceClient &&
    !dst.bugs.has('ignores-must-succeed')
  ) {
    if (!(await spiceClientArrives(qemu))) {
      throw new MigrationFailed(
        `operation failed: graphics relocation is marked must-succeed, and the SPICE client did not reach the destination within ${RELOCATION_WAIT_MS / 1000} s`,
      );
    }
  }
  if (state !== 'running') await qemu.resume();
  domain.job = undefined;
}

/** Whether the source's SPICE client links to the destination's server before spice-server would give up on it. */
async function spiceClientArrives(qemu: QemuGuest): Promise<boolean> {
  const linked = async () => ((await qemu.spice().catch(() => undefined))?.channels.length ? true : undefined);
  return pollUntil('the SPICE client at the destination', RELOCATION_WAIT_MS, linked, 100).catch(() => false);
}

/** Confirm's end of the source QEMU: as libvirt's qemuMigrationSrcWaitForSpice, the SPICE client moves before it goes. */
export async function quitSource(p: MigrationParties, qemu: QemuGuest): Promise<void> {
  if (qemu.spiceAddress && !p.source.daemon.bugs.has('stops-source-before-spice')) {
    await qemu.qmp
      .waitForEvent('SPICE_MIGRATE_COMPLETED', { timeoutMs: SPICE_WAIT_MS, since: p.since })
      .catch(() => undefined);
  }
  await qemu.qmp.execute('quit').catch(() => undefined);
}

/** Confirm after a failure: the source resumes the guest; the destination's copy goes. */
export async function confirmCancelled(p: MigrationParties, domain: Domain, generation: number): Promise<void> {
  const src = p.source.daemon;
  await src.step(generation);
  p.announce('source', 'confirm3_cancelled');
  domain.job = undefined;
  const qemu = domain.guest;
  if (
    qemu?.process.alive &&
    !src.bugs.has('leaves-source-paused') &&
    (await qemu.runState().catch(() => 'gone')) !== 'running'
  )
    await qemu.resume().catch(() => undefined);
  const dst = p.destination.daemon;
  const incoming = dst.domains.get(domain.name);
  if (incoming?.job?.kind === 'in' && !dst.bugs.has('keeps-failed-destination')) await cleanDestination(dst, incoming);
}

/** The destination's copy of a migration that did not complete: its QEMU ended, the domain forgotten. */
export async function cleanDestination(daemon: EmulatedDaemon, domain: Domain): Promise<void> {
  if (daemon.domains.get(domain.name) === domain) daemon.domains.delete(domain.name);
  await domain.guest?.destroy().catch(() => undefined);
}

/** Recovery of an outgoing job after the source daemon restarted: the guest runs at the source, or at the destination, never both. */
export async function recoverOutgoing(daemon: EmulatedDaemon, domain: Domain): Promise<void> {
  const job = domain.job;
  const qemu = domain.guest;
  domain.job = undefined;
  if (!job || !qemu?.process.alive) return;
  const peer = job.peer.domains.get(domain.name);
  const completed = (await qemu.runState().catch(() => 'gone')) === 'postmigrate' && peer?.guest?.process.alive;
  if (completed && peer) {
    peer.job = undefined;
    daemon.domains.delete(domain.name);
    await qemu.qmp.execute('quit').catch(() => undefined);
    return;
  }
  await qemu.qmp.execute('migrate_cancel').catch(() => undefined);
  if (!daemon.bugs.has('leaves-source-paused')) await qemu.resume().catch(() => undefined);
  if (peer?.job?.kind === 'in') await cleanDestination(job.peer, peer);
}

export async function errorOf(qemu: QemuGuest): Promise<string> {
  const info = await qemu.qmp.execute<{ 'error-desc'?: string }>('query-migrate').catch(() => undefined);
  return info?.['error-desc'] ?? 'unexpectedly failed';
}
