// The emulated target's bug variants: each switch turns one documented behaviour into a
// wrong one, modelled on the seeds and on what real stacks were seen doing. The mutation
// matrix plays every requirement against the correct emulator and against these; a
// requirement no variant makes fail would be a check that cannot fail.

export const EMULATED_BUGS = {
  'no-setup-event': 'the source never announces MIGRATION setup (events go active, completed)',
  'stale-final-pages': 'the stop-and-copy round leaves out the pages dirtied last: the destination holds an older copy of them',
  'destination-reboots': 'the destination boots the guest afresh instead of going on from the source\'s state',
  'source-resumes-after-handover': 'the source runs the guest on after the migration completed (two runners)',
  'ignores-downtime-limit': 'the switchover pauses the guest for 2 s whatever downtime-limit says',
  'ignores-cancel': 'migrate_cancel is answered, and the migration goes on to completion',
  'hangs-on-unreachable': 'a destination nobody listens at leaves the migration in setup for ever, with no error',
  'refuses-older-stream': 'a newer QEMU fails to load the stream of an older one',
  'copies-shared-ram': 'x-ignore-shared is ignored: shared RAM is copied as if private',
  'loses-identity': 'the destination answers query-name and query-uuid with blanks after the migration',
  'ignores-validate-uuid': 'validate-uuid is accepted and never checked',
  'zeros-for-missing-pages': 'post-copy pages that never arrived read as zeros: the guest runs on without its source',
  'no-postcopy-recovery': 'a paused post-copy migration cannot be recovered: migrate-recover fails',
  'runs-without-state': 'a destination whose source vanished before cut-over boots the guest anyway',
  'source-stops-with-destination': 'the source pauses its guest when its destination is lost before cut-over',
} as const;

export type EmulatedBug = keyof typeof EMULATED_BUGS;
export const EMULATED_BUG_IDS = Object.keys(EMULATED_BUGS) as EmulatedBug[];

export function isEmulatedBug(id: string): id is EmulatedBug {
  return Object.hasOwn(EMULATED_BUGS, id);
}
