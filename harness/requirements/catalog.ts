// The requirements cutover certifies: each ID with a short title, the behaviour it judges,
// and where that behaviour is documented. Reports, scenarios, suites, baselines and CLI
// filters all refer to these IDs; this file is their one source.

import { PREMISES, type PremiseId } from './premises.ts';

export interface FamilyInfo {
  readonly title: string;
  /** Where the family's behaviour is documented; where a source is silent, what a user would expect. */
  readonly sources: string;
}

export const FAMILIES = {
  mig: {
    title: 'Baseline pre-copy migration',
    sources:
      'QEMU qapi/migration.json (MigrationStatus, MIGRATION events, migrate_cancel, downtime-limit) and docs/devel/migration',
  },
  shu: {
    title: 'Same-host upgrade',
    sources:
      'seed 001 (live upgrade by local migration); QEMU qapi/migration.json (x-ignore-shared, cpr-transfer) and docs/devel/migration',
  },
  uuid: {
    title: 'Identity conflicts',
    sources:
      'seed 001 point 1; libvirt src/conf/virdomainobjlist.c and src/qemu/qemu_migration.c; QEMU qapi/migration.json (validate-uuid)',
  },
  p2p: {
    title: 'Peer-to-peer migration and worker-pool exhaustion',
    sources:
      'seed 001 point 2; libvirt docs/migration.rst (peer-to-peer), libvirtd.conf (workers, keepalive), src/util/virthreadpool.c',
  },
  spice: {
    title: 'SPICE client handover',
    sources:
      'seeds 000 and 004; QEMU ui/spice-core.c (client_migrate_info, SPICE_MIGRATE_COMPLETED); spice-server reds (MIGRATE_TIMEOUT 10 s); libvirt qemuMigrationSrcWaitForSpice',
  },
  pcs: {
    title: 'Source lost after cut-over',
    sources:
      'seed 003; QEMU docs/devel/migration (post-copy, recovery), qapi/migration.json, block-stream and blockdev-mirror',
  },
  v3: {
    title: 'Phase failures and roll-back',
    sources:
      'seed 002; libvirt src/qemu/qemu_migration.c (Begin, Prepare, Perform, Finish, Confirm) and its hook scripts',
  },
} as const satisfies Record<string, FamilyInfo>;

export type Family = keyof typeof FAMILIES;

export interface Requirement {
  readonly id: string;
  readonly family: Family;
  readonly title: string;
  /** The behaviour judged, as documented (or as a user would expect, where the sources say nothing). */
  readonly behaviour: string;
  /** Where it is documented: the family's sources, unless the requirement names its own. */
  readonly source: string;
  /** How many times its scenarios are played by default: more than once where the outcome depends on timing. */
  readonly repeat: number;
  /** Judged on every scenario in which a migration ran, whichever requirement the scenario was played for. */
  readonly everyMigration: boolean;
  /** What must have happened for it to be judged at all, checked first (judging/premises.ts). */
  readonly premises: ReadonlyArray<Premise>;
}

export interface Premise {
  readonly id: PremiseId;
  readonly text: string;
}

/**
 * Behaviour seen to depend on timing, played several times by default (a failure in any
 * repetition fails the requirement): a cancel landing in the SPICE handshake, a read of an
 * unstreamed cluster while the stream job sleeps, both daemons running dry at once, the
 * one worker held while the same daemon's Prepare queues.
 */
const REPEATS: Readonly<Record<string, number>> = { 'SPICE-06': 3, 'PCS-05': 3, 'P2P-01': 3, 'P2P-05': 3 };

/**
 * Invariants of any migration, faults included: every scenario with a migration lists them
 * in its judges and keeps a watch after the end (a settle step); a run that judges one
 * judges it on every scenario it played.
 */
const EVERY_MIGRATION: ReadonlySet<string> = new Set(['MIG-08']);

/**
 * Each requirement's premises, in the order they are checked: a missing one is "cannot judge",
 * never a pass. The guest's progress comes first wherever a verdict counts passes: a guest
 * never seen to run would make "no progress where there must be none" hold vacuously.
 */
const PREMISES_OF: Readonly<Record<string, ReadonlyArray<PremiseId>>> = {
  'MIG-01': ['guest-ran'],
  'MIG-02': ['guest-ran'],
  'MIG-03': ['guest-ran'],
  'MIG-04': ['guest-ran'],
  'MIG-05': ['guest-ran', 'converging-setup'],
  'MIG-06': ['guest-ran', 'cancel-while-active'],
  'MIG-07': ['guest-ran', 'destination-unreachable'],
  'MIG-08': ['guest-ran', 'watched-after-end'],
  'SHU-01': ['guest-ran', 'same-host', 'over-unix-socket'],
  'SHU-02': ['guest-ran', 'same-host'],
  'SHU-03': ['guest-ran', 'same-host', 'ignore-shared-asked'],
  'SHU-04': ['guest-ran', 'same-host', 'cpr-transfer-asked'],
  'SHU-05': ['same-host', 'new-qemu-failed-after-handover', 'new-qemu-took-over', 'old-qemu-watched'],
  'SHU-06': ['guest-ran', 'same-host'],
  'UUID-01': ['guest-ran'],
  'UUID-02': ['guest-ran', 'uuid-clash-present'],
  'UUID-03': ['guest-ran', 'name-clash-present'],
  'UUID-04': ['guest-ran', 'host-uuid-shared'],
  'UUID-05': ['guest-ran', 'three-uuid-cases'],
  'P2P-01': ['one-worker-per-daemon', 'migrations-crossed'],
  'P2P-02': ['more-migrations-than-workers'],
  'P2P-03': ['pools-dry-at-calls'],
  'P2P-04': ['guest-ran', 'daemon-frozen-mid-migration'],
  'P2P-05': ['guest-ran', 'own-host-target'],
  'SPICE-01': ['guest-ran', 'client-connected'],
  'SPICE-02': ['guest-ran', 'client-connected', 'client-held'],
  'SPICE-03': ['client-connected'],
  'SPICE-04': ['no-client'],
  'SPICE-05': ['guest-ran', 'client-connected', 'client-stalled'],
  'SPICE-06': ['client-connected', 'cancelled-before-handover'],
  'PCS-01': ['guest-ran', 'source-killed-in-postcopy'],
  'PCS-02': ['guest-ran', 'link-cut-in-postcopy', 'recovery-asked'],
  'PCS-03': ['source-killed-before-cutover'],
  'PCS-04': ['guest-ran', 'destination-killed-before-cutover'],
  'PCS-05': ['source-killed-after-cutover', 'stream-unfinished-at-loss'],
  'PCS-06': ['guest-ran', 'mirror-in-flight-at-loss'],
  'V3-01': ['guest-ran', 'refusal-armed'],
  'V3-02': ['guest-ran', 'link-cut-in-perform'],
  'V3-03': ['guest-ran', 'killed-between-transfer-and-finish'],
  'V3-04': ['guest-ran', 'source-daemon-restarted-in-perform'],
  'V3-05': ['guest-ran', 'must-succeed-failed'],
  'V3-INV': ['guest-ran', 'fault-struck', 'watched-after-end'],
};

type Row = readonly [id: string, title: string, behaviour: string, source?: string];

const ROWS: Record<Family, ReadonlyArray<Row>> = {
  mig: [
    [
      'MIG-01',
      'MIGRATION events go setup, active, completed',
      'With the events capability, MIGRATION events go setup -> active -> completed.',
    ],
    [
      'MIG-02',
      'Destination RAM is intact after completion',
      "After completion the destination's RAM is intact (the page-neighbour check).",
    ],
    [
      'MIG-03',
      'Guest progresses on the destination and did not reboot',
      'The guest makes progress on the destination and did not reboot.',
    ],
    [
      'MIG-04',
      'Source ends in postmigrate and makes no progress',
      'The source ends paused (run state postmigrate) and makes no progress.',
    ],
    [
      'MIG-05',
      'Guest-observed downtime stays within downtime-limit plus tolerance',
      "Guest-observed downtime (the gap in progress) is reported beside QEMU's own figure; with a converging setup it stays within downtime-limit plus a stated tolerance.",
    ],
    [
      'MIG-06',
      'migrate_cancel while active: cancelled, source runs on intact, destination never runs',
      'migrate_cancel while active: status cancelled, the guest keeps running on the source with RAM intact, and the destination never runs the guest.',
    ],
    [
      'MIG-07',
      'Unreachable destination: failed with an error text, source runs on',
      'An unreachable destination: status failed with an error text; the source runs on.',
    ],
    [
      'MIG-08',
      'Never two runners: source and destination never progress at the same time',
      "Never two runners: no sampled instant where source and destination both make progress. Judged in every scenario with a migration, fault scenarios included, over a watch after the migration ended or the last fault struck as long as the hosts' keepalive bound (interval x (count + 1); 5 s where no host keeps one), or until only one copy is left that could run.",
    ],
  ],
  shu: [
    [
      'SHU-01',
      'Same-host migration over a UNIX socket completes with MIG-02..04 holding',
      'Same-host migration between two QEMU processes over a UNIX socket completes with MIG-02..04 holding.',
    ],
    [
      'SHU-02',
      'Old QEMU to new QEMU on one host with the old machine type',
      'Old QEMU to new QEMU on one host (e.g. 7.2 -> 10.0) with the old machine type: the guest keeps running, RAM intact; both versions named in the report.',
    ],
    [
      'SHU-03',
      'Shared guest RAM is not copied and stays intact',
      'Shared guest RAM (memory-backend-file share=on + x-ignore-shared): RAM is not copied (bytes transferred far below guest RAM size) and stays intact.',
    ],
    [
      'SHU-04',
      'cpr-transfer mode completes (QEMU >= 10.0)',
      'cpr-transfer mode (QEMU >= 10.0) completes; skipped with the reason on older QEMU.',
    ],
    [
      'SHU-05',
      'Failed upgrade after hand-over never silently resumes on shared RAM',
      'A same-host upgrade that fails after the new QEMU touched shared RAM must not silently resume the old QEMU on that RAM: exactly one runnable guest, RAM intact, or the report says the guest was lost.',
      'seed 001 point 4',
    ],
    [
      'SHU-06',
      "Migration to one's own host is refused at once with a clear error",
      'Management layer: migrating to one\'s own host is refused at once with a clear error ("Attempt to migrate guest to the same host" in libvirt); the guest runs on.',
      'libvirt src/qemu/qemu_migration.c; seed 001',
    ],
  ],
  uuid: [
    [
      'UUID-01',
      'Destination guest keeps the source UUID and name',
      "After migration the destination guest has the source's UUID and name.",
    ],
    [
      'UUID-02',
      'Destination already runs a guest with the same UUID: refused',
      'The destination already runs a guest with the same UUID: refused with a clear error; both guests untouched.',
    ],
    [
      'UUID-03',
      'Destination has the same name with another UUID: refused',
      'The destination has a guest of the same name with another UUID: refused; both guests untouched.',
    ],
    [
      'UUID-04',
      'Two hosts sharing one host UUID: refused as same-host',
      'Two hosts that share one host UUID: the migration is refused as same-host; the guest runs on.',
    ],
    [
      'UUID-05',
      'QEMU validate-uuid: differing UUIDs fail, equal or unset pass',
      'QEMU validate-uuid: a differing -uuid fails the migration and the source runs on; equal passes; unset on one side passes (QEMU >= 4.2).',
      'QEMU qapi/migration.json (validate-uuid)',
    ],
  ],
  p2p: [
    [
      'P2P-01',
      'Crossed P2P migrations with one worker per daemon do not deadlock',
      'Crossed P2P migrations (A->B and B->A at once) with one worker per daemon must not deadlock: both finish or fail with an error before the deadline.',
    ],
    [
      'P2P-02',
      'More concurrent P2P migrations than workers all finish',
      'More concurrent one-way P2P migrations than workers all finish (queued).',
    ],
    [
      'P2P-03',
      'High-priority calls answer during worker exhaustion',
      'High-priority calls (list, get state, destroy) answer during worker exhaustion.',
    ],
    [
      'P2P-04',
      'Frozen target daemon: source gives up within the keepalive bound',
      'Target daemon frozen mid-P2P: the source gives up within the keepalive bound (interval x (count + 1)) and the guest runs on at the source.',
    ],
    [
      'P2P-05',
      "P2P to one's own host is refused at once, holding no worker",
      "P2P to one's own host is refused at once, holding no worker.",
    ],
  ],
  spice: [
    [
      'SPICE-01',
      'Seamless handover keeps the client session at the target',
      "Seamless handover: with a connected client and client_migrate_info, SPICE_MIGRATE_COMPLETED follows MIGRATION completed, and the client's session goes on at the target (same connection id), without starting over.",
    ],
    [
      'SPICE-02',
      'Unreachable target: SPICE_MIGRATE_COMPLETED within 10 s',
      "The client cannot reach the target: SPICE_MIGRATE_COMPLETED still comes, within spice-server's 10 s (plus a stated tolerance); the guest runs on the target meanwhile.",
    ],
    [
      'SPICE-03',
      'Source QEMU kept alive until SPICE_MIGRATE_COMPLETED, not unboundedly',
      'The management layer keeps the source QEMU alive until SPICE_MIGRATE_COMPLETED (or the bound), and not unboundedly longer.',
    ],
    ['SPICE-04', 'No client connected: no added delay', 'No client connected: the handover adds no delay.'],
    [
      'SPICE-05',
      'Stalled client: same bound as an unreachable target',
      'The client is stalled (its process stopped): the same bound as SPICE-02.',
    ],
    [
      'SPICE-06',
      'Failed or cancelled migration: client stays with the source',
      'A failed or cancelled migration: the client stays with the source, its session intact.',
    ],
  ],
  pcs: [
    [
      'PCS-01',
      'Source killed in postcopy-active: destination pauses, no silent corruption',
      'The source is killed during postcopy-active: the destination enters postcopy-paused (QEMU) or a paused/failed post-copy state (libvirt), does not crash, and the guest makes no progress on missing pages (no silent corruption). The report says the guest was lost.',
    ],
    [
      'PCS-02',
      'Network cut in post-copy: recovery completes with RAM intact',
      'The network is cut during post-copy: both sides pause; after healing, recovery (migrate-recover + resume; libvirt --postcopy-resume from 8.5) completes, RAM intact.',
    ],
    [
      'PCS-03',
      'Source killed before cut-over: destination never runs the guest',
      'The source is killed before cut-over: the destination never runs the guest and fails.',
    ],
    [
      'PCS-04',
      'Destination killed before cut-over: source runs on intact',
      'The destination is killed before cut-over: the source runs on, RAM intact.',
    ],
    [
      'PCS-05',
      'Storage streamed after cut-over: losing the source stops on I/O error',
      'Storage streamed after cut-over (copy-on-read over NBD from the source): losing the source before streaming ends stops the guest on I/O error; it never reads zeros silently. The report gives the window of exposure.',
    ],
    [
      'PCS-06',
      'Storage mirrored before cut-over: losing either side keeps the source',
      'Storage mirrored before cut-over: losing either side before switchover leaves the guest running on the source.',
    ],
  ],
  v3: [
    [
      'V3-01',
      'Failure in Prepare: clean failure, guest runs on at the source',
      "A failure in Prepare (e.g. the destination's hook refuses): a clean failure, rolled back (exactly one running copy, RAM intact, nothing stale at the destination, the failure reported with a reason).",
    ],
    [
      'V3-02',
      'Failure in Perform: the source resumes, destination cleaned',
      'A failure in Perform (the link cut): the source resumes; rolled back.',
    ],
    [
      'V3-03',
      'Failure in Finish: the source resumes',
      'A failure in Finish (the destination QEMU dies after the transfer): the source resumes.',
    ],
    [
      'V3-04',
      'Source daemon killed mid-migration: guest operational after restart',
      'The source daemon is interrupted (SIGINT) or killed mid-migration, then restarted: the guest is operational at the source; the destination holds no stale guest.',
    ],
    [
      'V3-05',
      'Must-succeed feature failing at the destination rolls back',
      'A feature marked must-succeed failing at the destination fails the migration and rolls back; where the implementation has no such policy, skipped with that reason.',
    ],
    [
      'V3-INV',
      'Generated fault schedules: exactly one running copy, RAM intact',
      'Over generated fault schedules (faults at phases, statuses, events or delays): rolled back, or the loss is one the documentation allows (PCS-01); never two runners.',
    ],
  ],
};

export const REQUIREMENTS: ReadonlyArray<Requirement> = (
  Object.entries(ROWS) as Array<[Family, ReadonlyArray<Row>]>
).flatMap(([family, rows]) =>
  rows.map(([id, title, behaviour, source]) => ({
    id,
    family,
    title,
    behaviour,
    source: source ?? FAMILIES[family].sources,
    repeat: REPEATS[id] ?? 1,
    everyMigration: EVERY_MIGRATION.has(id),
    premises: (PREMISES_OF[id] ?? []).map((p) => ({ id: p, text: PREMISES[p] })),
  })),
);

const BY_ID = new Map(REQUIREMENTS.map((r) => [r.id, r]));

export function findRequirement(id: string): Requirement | undefined {
  return BY_ID.get(id.toUpperCase());
}

export function isFamily(name: string): name is Family {
  return Object.hasOwn(FAMILIES, name);
}

export const FAMILY_NAMES = Object.keys(FAMILIES) as Family[];
