import { UsageError } from '../../util/errors.ts';
import { sleep } from '../../util/deadline.ts';
import type { DriverContext, DriverEvent } from '../types.ts';

/** The event by which cutover's own management code says it acted (judges tell it from QEMU's doing). */
export const POLICY_EVENT = 'CUTOVER_POLICY';
import type { QemuGuest } from './guest.ts';

// What cutover's qemu driver does, as a management layer, around a completed migration; and
// the broken variants a scenario may ask for, so that judges are seen to catch them.

/**
 * What the manager does when the destination dies after a completed migration: 'nothing'
 * (the guest is lost, and said to be), or 'resume-source': a broken manager that silently
 * resumes the old QEMU, which SHU-05 must catch when the two shared RAM.
 */
export type DestinationLoss = 'nothing' | 'resume-source';

export function parseDestinationLoss(value: unknown): DestinationLoss {
  if (value === undefined) return 'nothing';
  if (value === 'nothing' || value === 'resume-source') return value;
  throw new UsageError(`driver option onDestinationLoss: '${String(value)}' is not one of nothing, resume-source`);
}

export async function resumeSourceOnLoss(
  source: QemuGuest,
  destination: QemuGuest,
  since: number,
  context: DriverContext,
): Promise<void> {
  if ((await source.migrationEnded(since)) !== 'completed') return;
  await destination.exited;
  // A destination the harness itself ended (teardown) is no loss to react to.
  if (!source.process.alive || destination.ending) return;
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

export function parseQuitSource(value: unknown): QuitSource {
  if (value === undefined) return 'never';
  if (value === 'never' || value === 'after-spice' || value === 'immediately' || value === 'wait-forever') return value;
  throw new UsageError(
    `driver option quitSource: '${String(value)}' is not one of never, after-spice, immediately, wait-forever`,
  );
}

export async function endSourceAfterHandover(
  source: QemuGuest,
  since: number,
  policy: QuitSource,
  context: DriverContext,
): Promise<void> {
  if (policy === 'never' || policy === 'wait-forever') return;
  if ((await source.migrationEnded(since)) !== 'completed') return;
  if (policy === 'after-spice' && source.spiceAddress) {
    await source.qmp.waitForEvent('SPICE_MIGRATE_COMPLETED', { timeoutMs: SPICE_WAIT_BOUND_MS, since }).catch(() => {
      context.log(`no SPICE_MIGRATE_COMPLETED within ${SPICE_WAIT_BOUND_MS} ms; quitting the source anyway`);
    });
  }
  await source.qmp.execute('quit').catch(() => undefined);
}

/** Statuses in which the destination has not yet run the guest: the source still holds it whole. */
const BEFORE_CUTOVER = new Set(['none', 'setup', 'active', 'pre-switchover', 'device', 'wait-unplug', 'cancelling']);

/** How long a destination gets to fail by itself (a broken stream) before the policy ends it. */
export const ORPHAN_GRACE_MS = 1000;

/**
 * A source that dies before cut-over leaves an incoming destination that will never get the
 * guest: QEMU alone would wait for it for ever (killed in setup, the destination is still
 * listening). As a management layer does, end it, once it had a moment to fail by itself
 * (with a stream under way it does, in milliseconds). Not after cut-over: then the
 * destination holds the only guest there is (post-copy), and it must be left paused.
 */
export async function endDestinationOnSourceLoss(
  source: QemuGuest,
  destination: QemuGuest,
  since: number,
  destinationSince: number,
  context: DriverContext,
  announce: (event: DriverEvent) => void,
): Promise<void> {
  await source.exited;
  // The harness ending its guests (the teardown) is no loss to react to.
  if (source.ending) return;
  const last = source.qmp.events
    .slice(since)
    .filter((e) => e.event === 'MIGRATION')
    .at(-1);
  const status = (last?.data as { status?: string } | undefined)?.status ?? 'none';
  if (!BEFORE_CUTOVER.has(status) || !destination.process.alive) return;
  const ownEnd = destination.attached ? destination.migrationEnded(destinationSince) : new Promise<undefined>(() => {});
  const endedByItself = await Promise.race([
    destination.exited.then(() => true),
    ownEnd.then((s) => s !== undefined),
    sleep(ORPHAN_GRACE_MS).then(() => false),
  ]);
  if (endedByItself || !destination.process.alive || destination.ending) return;
  context.log(`the source died in '${status}', before cut-over: ending the destination, which never ran the guest`);
  // Said as an event: what follows is this management code's doing, not QEMU's.
  announce({
    t: context.clock(),
    side: 'destination',
    guest: destination.name,
    host: destination.host.name,
    name: POLICY_EVENT,
    data: { action: 'end-destination', sourceStatus: status },
  });
  await destination.destroy();
}

/**
 * A migration that failed or was cancelled leaves its destination with nothing to run: QEMU
 * alone would keep an incoming destination that never connected listening for ever. As
 * libvirt's Finish (cancelled) does, end it, once it had a moment to end by itself (a broken
 * stream ends it in milliseconds, and that is QEMU's own doing).
 */
export async function endDestinationAfterFailure(
  source: QemuGuest,
  destination: QemuGuest,
  since: number,
  context: DriverContext,
  announce: (event: DriverEvent) => void,
): Promise<void> {
  const end = await source.migrationEnded(since);
  if (end !== 'failed' && end !== 'cancelled') return;
  await Promise.race([destination.exited, sleep(ORPHAN_GRACE_MS)]);
  if (!destination.process.alive || destination.ending) return;
  context.log(`the migration ${end}: ending the destination, which never ran the guest`);
  announce({
    t: context.clock(),
    side: 'destination',
    guest: destination.name,
    host: destination.host.name,
    name: POLICY_EVENT,
    data: { action: 'end-destination', migration: end },
  });
  await destination.destroy();
}

/**
 * The source completed, but the destination failed before it ran the guest (its load broke,
 * it died, or it never got the stream's end: a link cut as the source finished leaves it
 * waiting in inmigrate for ever): QEMU alone leaves the source paused and the guest lost.
 * As libvirt's Confirm does after a failed or timed-out Finish, resume the source: the
 * destination never ran a single instruction. One that has not run the guest within the
 * bound is ended first, so there are never two runners.
 */
export async function resumeSourceIfFinishFails(
  source: QemuGuest,
  destination: QemuGuest,
  since: number,
  destinationSince: number,
  context: DriverContext,
  announce: (event: DriverEvent) => void,
): Promise<void> {
  if ((await source.migrationEnded(since)) !== 'completed' || !destination.attached) return;
  const ran = destination.qmp
    .waitForEvent(
      (e) =>
        e.event === 'RESUME' ||
        (e.event === 'MIGRATION' && (e.data as { status?: string } | undefined)?.status === 'failed'),
      { timeoutMs: FINISH_BOUND_MS, since: destinationSince },
    )
    // No word within the bound: a destination still waiting for the stream's end, or one whose monitor went away.
    .then(
      (e) => (e.event === 'RESUME' ? 'ran' : 'failed'),
      () => Promise.race([destination.exited.then(() => 'failed'), sleep(ORPHAN_GRACE_MS).then(() => 'stuck')]),
    );
  const outcome = await Promise.race([ran, destination.exited.then(() => 'failed' as const)]);
  if (outcome === 'ran' || destination.ending || source.ending || !source.process.alive) return;
  if (outcome === 'stuck') {
    if ((await destination.runState().catch(() => 'gone')) === 'running') return;
    context.log(`the destination did not run the guest within ${FINISH_BOUND_MS} ms of completion: ending it`);
    announce({
      t: context.clock(),
      side: 'destination',
      guest: destination.name,
      host: destination.host.name,
      name: POLICY_EVENT,
      data: { action: 'end-destination', reason: 'Finish timed out' },
    });
    await destination.destroy();
  }
  context.log('the destination failed after the transfer, before it ran the guest: resuming the source');
  announce({
    t: context.clock(),
    side: 'source',
    guest: source.name,
    host: source.host.name,
    name: POLICY_EVENT,
    data: { action: 'resume-source', reason: 'the destination failed before it ran the guest' },
  });
  await source.qmp.execute('cont').catch(() => undefined);
}

/** How long a completed destination gets to run the guest (it does in milliseconds; settle watches 5 s). */
const FINISH_BOUND_MS = 2000;
