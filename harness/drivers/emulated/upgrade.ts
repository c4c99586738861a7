import type { MigrationInfo as QmpMigrationInfo } from '../../qmp/index.ts';
import { listenForIncoming, setCapabilities } from '../qemu/index.ts';
import type { QemuGuest } from '../qemu/guest.ts';
import { toMigrationInfo } from '../qemu/migration-info.ts';
import type { GuestSpec, MigrationSettings, MigrationStatus } from '../types.ts';
import type { Domain, EmulatedDaemon, PeerLink } from './daemon.ts';
import {
  begin,
  confirmCancelled,
  errorOf,
  hookFailed,
  MigrationFailed,
  perform,
  quitSource,
  type JobEnd,
  type MigrationParties,
} from './migration.ts';

// A same-host live upgrade, which libvirt has no operation for (it refuses any migration to
// its own host, and so does the emulated daemon unless asked for this): the guest's RAM is a
// shared file, so a second QEMU of the host maps the same file and takes the guest over by a
// local migration with x-ignore-shared, over a UNIX socket, no RAM copied. One domain
// throughout, whose QEMU changes; the phases are a migration's, on one daemon. Once the new
// QEMU ran the guest the RAM is its own: should it die, the old QEMU cannot be resumed on RAM
// that no longer matches its CPU state, so the guest is lost, and the domain says so.

/** What asks for a live upgrade rather than a migration to one's own host (refused). */
export function isLiveUpgrade(settings: MigrationSettings, spec: Pick<GuestSpec, 'sharedMemory'>): boolean {
  return settings.ignoreShared === true && settings.transport === 'unix' && spec.sharedMemory === true;
}

/** What the daemon does when the new QEMU ended: the old one is resumed only on RAM the new one never ran on. */
export function afterNewQemuEnded(ranGuest: boolean, bugs: ReadonlySet<string>): 'resume-old' | 'lost' {
  if (!ranGuest) return 'resume-old';
  return bugs.has('resumes-old-qemu-after-upgrade') ? 'resume-old' : 'lost';
}

/** Nothing to keep alive: both QEMUs are this daemon's. */
const OWN_LINK: PeerLink = { broken: new Promise<never>(() => undefined), close: () => undefined };

/** The whole upgrade, on one worker of the host's daemon: resolves with how the hand-over ended. */
export async function runUpgrade(
  p: MigrationParties,
  generation: number,
  status: (s: MigrationStatus) => void,
): Promise<JobEnd> {
  const daemon = p.source.daemon;
  const { domain, qemu: old } = begin(p);
  if (p.settings.postcopy)
    throw new MigrationFailed(
      'operation unsupported: a live upgrade does not switch to post-copy: its RAM is shared, nothing is left to fetch',
    );
  const job: NonNullable<Domain['job']> = { kind: 'upgrade', phase: 'begin3', peer: daemon };
  domain.job = job;
  try {
    // Prepare: no registry to check, the domain is the one upgraded; its new QEMU maps the same RAM.
    p.announce('destination', 'prepare');
    const refusal = p.prepareRefusal();
    if (refusal !== undefined) throw hookFailed(refusal);
    const fresh = await p.startQemu(domain.uuid);
    job.incoming = fresh;
    p.destination.guest.attach(fresh);
    await daemon.step(generation);
    await setCapabilities(fresh, { 'x-ignore-shared': true });
    const uri = await listenForIncoming(fresh, 'unix');
    await daemon.step(generation);
    job.phase = 'perform3';
    p.announce('source', 'perform3');
    const ended = await perform(p, old, uri, OWN_LINK, daemon, generation, status);
    if (ended !== 'completed') {
      await withoutNewQemu(p, domain, old, fresh, generation);
      return {
        status: ended === 'cancelled' ? 'cancelled' : 'failed',
        errorDesc:
          ended === 'cancelled'
            ? 'operation aborted: migration job: canceled by client'
            : `operation failed: job 'migration out' failed: ${await errorOf(old)}`,
      };
    }
    job.phase = 'perform3_done';
    p.announce('source', 'perform3_done');
    const handedOver = await completed(old);
    // Finish: the new QEMU runs the guest, or it ended; whether it ran decides what the old may do.
    p.announce('destination', 'finish3');
    const state = fresh.process.alive ? await fresh.runState().catch(() => 'gone') : 'gone';
    await daemon.step(generation);
    if (state === 'gone') {
      const lost = await withoutNewQemu(p, domain, old, fresh, generation);
      return lost
        ? handedOver
        : {
            status: 'failed',
            errorDesc: `operation failed: the new QEMU of domain '${domain.name}' ended before it ran the guest`,
          };
    }
    if (state !== 'running') await fresh.resume();
    p.announce('source', 'confirm3');
    domain.guest = fresh;
    domain.job = undefined;
    void fresh.exited.then(() => newQemuEnded(p, domain, old, fresh));
    // The bug keeps the old QEMU paused as a fallback; the right thing is to end it, as Confirm does.
    if (!daemon.bugs.has('resumes-old-qemu-after-upgrade')) await quitSource(p, old);
    return handedOver;
  } catch (err) {
    if (generation !== daemon.generation) throw err; // the daemon died: its restart recovers the job
    if (job.incoming) await withoutNewQemu(p, domain, old, job.incoming, generation).catch(() => undefined);
    else await confirmCancelled(p, domain, generation).catch(() => undefined);
    return { status: 'failed', errorDesc: (err as Error).message };
  }
}

/** Recovery of an upgrade after the daemon restarted: the new QEMU keeps a guest it runs; else the old one, unless the new one ran it. */
export async function recoverUpgrade(daemon: EmulatedDaemon, domain: Domain): Promise<void> {
  const fresh = domain.job?.incoming;
  const old = domain.guest;
  domain.job = undefined;
  if (fresh?.process.alive && (await fresh.runState().catch(() => 'gone')) === 'running') {
    domain.guest = fresh;
    await old?.qmp.execute('quit').catch(() => undefined);
    return;
  }
  await fresh?.destroy();
  if (fresh && afterNewQemuEnded(ran(fresh), daemon.bugs) === 'lost') {
    domain.lost = LOST;
    await old?.qmp.execute('quit').catch(() => undefined);
    return;
  }
  await old?.qmp.execute('migrate_cancel').catch(() => undefined);
  if (!daemon.bugs.has('leaves-source-paused')) await old?.resume().catch(() => undefined);
}

const LOST =
  "its QEMU ended after a live upgrade: the new QEMU had run the guest on the shared RAM, which no longer matches the old QEMU's CPU state";

/** The new QEMU ended after the hand-over (a fault, a crash; not the daemon's nor the harness's doing). */
async function newQemuEnded(p: MigrationParties, domain: Domain, old: QemuGuest, fresh: QemuGuest): Promise<void> {
  const daemon = p.source.daemon;
  if (fresh.ending || domain.guest !== fresh || daemon.domains.get(domain.name) !== domain) return;
  if (afterNewQemuEnded(ran(fresh), daemon.bugs) === 'resume-old' && old.process.alive) {
    domain.guest = old;
    await old.resume().catch(() => undefined);
    return;
  }
  lose(p, domain, old);
}

/** The guest is lost: the domain stays, shut off, and the daemon says why. */
function lose(p: MigrationParties, domain: Domain, old: QemuGuest): void {
  domain.lost = LOST;
  p.tell('destination', 'EMULATED_DOMAIN_LOST', { domain: domain.name, reason: LOST });
  void old.qmp.execute('quit').catch(() => undefined);
}

/** A completed hand-over with QEMU's figures (as libvirt's completed job stats): SHU-03 weighs the bytes sent. */
async function completed(old: QemuGuest): Promise<JobEnd> {
  const info = await old.qmp.execute<QmpMigrationInfo>('query-migrate').catch(() => undefined);
  return { ...(info && toMigrationInfo(info)), status: 'completed' };
}

/** Whether the new QEMU ran the guest (a RESUME): from then on the shared RAM is its own. */
function ran(fresh: QemuGuest): boolean {
  return fresh.attached && fresh.qmp.events.some((e) => e.event === 'RESUME');
}

/**
 * The upgrade goes on without its new QEMU, which goes first (never two runners): the old one
 * resumes if the new one never ran the guest, else the guest is lost. Whether it was lost.
 */
async function withoutNewQemu(
  p: MigrationParties,
  domain: Domain,
  old: QemuGuest,
  fresh: QemuGuest,
  generation: number,
): Promise<boolean> {
  await fresh.destroy().catch(() => undefined);
  if (afterNewQemuEnded(ran(fresh), p.source.daemon.bugs) === 'resume-old') {
    await confirmCancelled(p, domain, generation);
    return false;
  }
  domain.job = undefined;
  lose(p, domain, old);
  return true;
}
