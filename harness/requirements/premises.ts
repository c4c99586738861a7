// What must have happened for a requirement to be judged at all: its premises. A judge checks
// them before anything else; one that did not hold is "cannot judge" (an error, naming it),
// never a pass. Each premise has an ID, the words reports use, and (in the catalogue) the
// requirements that stand on it. This file is the one list of premise IDs: the checks
// (judging/premises.ts) and the premise matrix's withdrawals follow it.

export const PREMISES = {
  'guest-ran': 'the guest made progress at the source before the migration was asked for',
  'watched-after-end': 'both sides were watched after the migration ended, for the bound the hosts keep',
  'converging-setup':
    "the migration was set up to converge: a bandwidth limit far above the guest's dirty rate and a downtime limit asked for",
  'cancel-while-active': 'the cancel was asked for while the migration was active',
  'destination-unreachable': 'the destination could not be reached: nothing listened there, or its port never answered',
  'same-host': 'the migration was asked for within one host',
  'over-unix-socket': 'the migration was asked to go over a UNIX socket',
  'ignore-shared-asked': 'x-ignore-shared was asked for, on guest RAM shared with the new QEMU',
  'cpr-transfer-asked': 'cpr-transfer mode was asked for',
  'new-qemu-took-over': 'the new QEMU ran the guest on the shared RAM before it failed',
  'new-qemu-failed-after-handover': 'the new QEMU failed after the hand-over had completed',
  'old-qemu-watched': "the old QEMU's run state was sampled for at least a second after the new one failed",
  'uuid-clash-present': 'before the migration the destination already held a guest with the same UUID',
  'name-clash-present': 'before the migration the destination already held a guest of the same name, another UUID',
  'host-uuid-shared': 'both hosts were given one host UUID',
  'three-uuid-cases':
    'validate-uuid was asked for on three migrations: another UUID, the same, none at the destination',
  'migrations-crossed': 'the two migrations were asked for in opposite directions, each before the other ended',
  'one-worker-per-daemon': 'each daemon had a single worker',
  'more-migrations-than-workers': 'more migrations were asked for at once than the source daemon has workers',
  'pools-dry-at-calls': 'every daemon was out of workers when each high-priority call was made',
  'daemon-frozen-mid-migration': 'the target daemon froze while the migration was still in flight',
  'own-host-target': "the migration was asked to go to the guest's own host",
  'client-connected': 'a SPICE client was connected to the source before the migration',
  'client-held': 'the client was sent to a target it could not reach, and did not reach it',
  'client-stalled': "the client's process was stopped before the hand-over and stayed stopped through it",
  'no-client': 'no SPICE client was connected',
  'cancelled-before-handover': 'the migration was cancelled (or failed) before the SPICE hand-over',
  'source-killed-in-postcopy': 'the source died while post-copy was active, with pages still missing',
  'link-cut-in-postcopy': 'the migration link was cut while post-copy was active',
  'recovery-asked': 'recovery was asked for after the link came back',
  'source-killed-before-cutover': 'the source died before cut-over',
  'destination-killed-before-cutover': 'the destination died before cut-over',
  'source-killed-after-cutover': 'the source died after cut-over',
  'stream-unfinished-at-loss': 'the disk was still being streamed from the source when it died',
  'mirror-in-flight-at-loss': 'the storage mirror or the migration was still in flight when the destination died',
  'refusal-armed': 'the destination was set to refuse Prepare before the migration was asked for',
  'link-cut-in-perform': 'the migration link was cut while the source was in Perform',
  'killed-between-transfer-and-finish':
    'the destination was killed after the transfer completed and before Finish resumed the guest there',
  'source-daemon-restarted-in-perform': "the source's daemon was ended while the source was in Perform",
  'must-succeed-failed': 'the feature marked must-succeed failed at the destination: the SPICE client could not follow',
  'fault-struck': "at least one of the schedule's faults struck while the migration ran",
} as const satisfies Record<string, string>;

export type PremiseId = keyof typeof PREMISES;
export const PREMISE_IDS = Object.keys(PREMISES) as PremiseId[];

export function isPremise(id: string): id is PremiseId {
  return Object.hasOwn(PREMISES, id);
}
