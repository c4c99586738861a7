// The emulated target's bug variants: each switch turns one documented behaviour into a
// wrong one, modelled on the seeds and on what real stacks were seen doing. The mutation
// matrix plays every requirement against the correct emulator and against these; a
// requirement no variant makes fail would be a check that cannot fail.

import type { PremiseId } from '../../requirements/premises.ts';

export interface BugVariant {
  /** Which part of the emulated target has it: its QEMU, or its management daemon (the emulated driver's). */
  readonly in?: 'daemon';
  /** What the variant does wrong. */
  readonly does: string;
  /** The requirements it should make fail: the runs the mutation matrix plays with it. */
  readonly breaks: ReadonlyArray<string>;
}

export const EMULATED_BUGS = {
  'no-setup-event': {
    does: 'the source never announces MIGRATION setup (events go active, completed)',
    breaks: ['MIG-01'],
  },
  'stale-final-pages': {
    does: 'the stop-and-copy round leaves out the pages dirtied last: the destination holds an older copy of them',
    breaks: ['MIG-02', 'SHU-01'],
  },
  'destination-reboots': {
    does: "the destination boots the guest afresh instead of going on from the source's state",
    breaks: ['MIG-03'],
  },
  'source-resumes-after-handover': {
    does: 'the source runs the guest on after the migration completed (two runners)',
    breaks: ['MIG-04', 'MIG-08', 'V3-INV'],
  },
  'ignores-downtime-limit': {
    does: 'the switchover pauses the guest for 2 s whatever downtime-limit says',
    breaks: ['MIG-05'],
  },
  'ignores-cancel': {
    does: 'migrate_cancel is answered, and the migration goes on to completion',
    breaks: ['MIG-06'],
  },
  'hangs-on-unreachable': {
    does: 'a destination nobody listens at leaves the migration in setup for ever, with no error',
    breaks: ['MIG-07'],
  },
  'refuses-older-stream': {
    does: 'a newer QEMU fails to load the stream of an older one',
    breaks: ['SHU-02'],
  },
  'copies-shared-ram': {
    does: 'x-ignore-shared is ignored: shared RAM is copied as if private',
    breaks: ['SHU-03'],
  },
  'cpr-loses-ram': {
    does: 'a cpr-transfer destination maps fresh RAM instead of the descriptors it was handed: the guest goes on over zeroed memory, its counters started over',
    breaks: ['SHU-04'],
  },
  'ignores-validate-uuid': {
    does: 'validate-uuid is accepted and never checked',
    breaks: ['UUID-05'],
  },
  'zeros-for-missing-pages': {
    does: 'post-copy pages that never arrived read as zeros: the guest runs on without its source',
    breaks: ['PCS-01'],
  },
  'no-postcopy-recovery': {
    does: 'a paused post-copy migration cannot be recovered: migrate-recover fails',
    breaks: ['PCS-02'],
  },
  'runs-without-state': {
    does: 'a destination whose source vanished before cut-over boots the guest anyway',
    breaks: ['PCS-03'],
  },
  'source-stops-with-destination': {
    does: 'the source pauses its guest when its destination is lost before cut-over',
    breaks: ['PCS-04'],
  },
  'zeros-for-missing-sectors': {
    does: "a sector the destination's overlay does not hold yet, whose NBD source is gone, reads as zeros (kept by copy-on-read): the guest runs on without its source",
    breaks: ['PCS-05'],
  },
  'mirror-error-stops-guest': {
    does: "a write error on a mirror's target (its destination gone) stops the source's guest on an I/O error, as if its own disk had failed",
    breaks: ['PCS-06'],
  },
  'spice-session-restarts': {
    does: "the destination's SPICE server gives a migrating client a new session (connection id): it starts over",
    breaks: ['SPICE-01'],
  },
  'spice-waits-for-client': {
    does: 'spice-server has no MIGRATE_TIMEOUT: SPICE_MIGRATE_COMPLETED waits for a client that cannot follow, for ever',
    breaks: ['SPICE-02', 'SPICE-05'],
  },
  'spice-delays-without-client': {
    does: 'with no client connected, SPICE_MIGRATE_COMPLETED still comes only after MIGRATE_TIMEOUT (10 s)',
    breaks: ['SPICE-04'],
  },
  'drops-spice-client-on-cancel': {
    does: "a cancelled or failed migration drops the SPICE client's session at the source",
    breaks: ['SPICE-06'],
  },
  'deadlocks-crossed-p2p': {
    in: 'daemon',
    does: "a peer's Prepare and Finish wait for a regular worker, so crossed migrations that hold them all deadlock (libvirt 9.0)",
    breaks: ['P2P-01'],
  },
  'no-priority-workers': {
    in: 'daemon',
    does: 'high-priority calls get no workers of their own: they wait with the rest when the pool is exhausted',
    breaks: ['P2P-03'],
  },
  'refuses-when-busy': {
    in: 'daemon',
    does: 'a call that finds no free worker is refused instead of queued',
    breaks: ['P2P-02'],
  },
  'no-keepalive': {
    in: 'daemon',
    does: 'a peer daemon that stops answering is never given up',
    breaks: ['P2P-04'],
  },
  'allows-own-host': {
    in: 'daemon',
    does: 'a migration to a host with the same host UUID is not refused as same-host',
    breaks: ['P2P-05', 'UUID-04', 'SHU-06'],
  },
  'accepts-duplicate-uuid': {
    in: 'daemon',
    does: 'Prepare does not check the registry for a guest with the same UUID',
    breaks: ['UUID-02'],
  },
  'accepts-duplicate-name': {
    in: 'daemon',
    does: 'Prepare does not check the registry for a guest of the same name',
    breaks: ['UUID-03'],
  },
  'loses-identity': {
    in: 'daemon',
    does: 'the destination daemon defines the incoming guest under a UUID of its own',
    breaks: ['UUID-01'],
  },
  'keeps-failed-destination': {
    in: 'daemon',
    does: 'a destination whose migration failed (in Prepare or later) keeps the guest in its registry (seed 002)',
    breaks: ['V3-01', 'V3-02', 'V3-INV'],
  },
  'leaves-source-paused': {
    in: 'daemon',
    does: "a migration that failed after the source paused leaves it paused, and so does a restarted daemon's recovery (libvirt 11.3)",
    breaks: ['V3-03'],
  },
  'stops-source-before-spice': {
    in: 'daemon',
    does: 'Confirm stops the source QEMU as soon as the migration completed, without waiting for SPICE_MIGRATE_COMPLETED (the client loses its session)',
    breaks: ['SPICE-03'],
  },
  'ignores-must-succeed': {
    in: 'daemon',
    does: 'a graphics relocation marked must-succeed is accepted and never checked: the migration completes though the SPICE client could not follow',
    breaks: ['V3-05'],
  },
  'resumes-old-qemu-after-upgrade': {
    in: 'daemon',
    does: 'a same-host live upgrade keeps the old QEMU paused as a fallback, and resumes it when the new QEMU dies after the hand-over: on shared RAM the new one already changed',
    breaks: ['SHU-05'],
  },
  'forgets-jobs-on-restart': {
    in: 'daemon',
    does: 'a restarted daemon drops the guests that were migrating from its registry, their QEMUs left running unmanaged',
    breaks: ['V3-04'],
  },
} as const satisfies Record<string, BugVariant>;

export type EmulatedBug = keyof typeof EMULATED_BUGS;
export const EMULATED_BUG_IDS = Object.keys(EMULATED_BUGS) as EmulatedBug[];

export function isEmulatedBug(id: string): id is EmulatedBug {
  return Object.hasOwn(EMULATED_BUGS, id);
}

/**
 * Switches that withdraw a premise rather than break a behaviour: the premise matrix
 * (`cutover premises`) plays a requirement with one on, and it must then not pass. They act
 * on what the guest lets cutover see, in the emulated QEMU.
 */
export const PREMISE_SWITCHES = {
  'silent-guest': {
    does: 'the guest writes nothing on its serial line: its progress is never seen',
    withdraws: ['guest-ran'],
  },
  'silent-incoming-guest': {
    does: 'a guest that arrived by migration writes nothing on its serial line',
    withdraws: ['new-qemu-took-over'],
  },
} as const satisfies Record<string, { readonly does: string; readonly withdraws: ReadonlyArray<PremiseId> }>;

export type PremiseSwitch = keyof typeof PREMISE_SWITCHES;
/** What the emulated target can be switched to: a bug variant, or a premise withdrawn. */
export type EmulatedSwitch = EmulatedBug | PremiseSwitch;
export const EMULATED_SWITCH_IDS: ReadonlyArray<EmulatedSwitch> = [
  ...EMULATED_BUG_IDS,
  ...(Object.keys(PREMISE_SWITCHES) as PremiseSwitch[]),
];

export function isEmulatedSwitch(id: string): id is EmulatedSwitch {
  return isEmulatedBug(id) || Object.hasOwn(PREMISE_SWITCHES, id);
}

const ofDaemon = (s: EmulatedSwitch): boolean => isEmulatedBug(s) && 'in' in EMULATED_BUGS[s];
/** The switches that live in the emulated QEMU, and those of the emulated daemon. */
export const inQemu = (switches: ReadonlyArray<EmulatedSwitch>): EmulatedSwitch[] =>
  switches.filter((s) => !ofDaemon(s));
export const inDaemon = (switches: ReadonlyArray<EmulatedSwitch>): EmulatedBug[] =>
  switches.filter((s): s is EmulatedBug => ofDaemon(s));
