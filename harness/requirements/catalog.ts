// The requirement IDs cutover knows, with a short title each. The behaviour behind every ID
// is documented in the project's requirements (shared/REQUIREMENTS.md); reports, scenarios
// and CLI filters all refer to these IDs.

export const FAMILIES = {
  mig: 'Baseline pre-copy migration',
  shu: 'Same-host upgrade',
  uuid: 'Identity conflicts',
  p2p: 'Peer-to-peer migration and worker-pool exhaustion',
  spice: 'SPICE client handover',
  pcs: 'Source lost after cut-over',
  v3: 'Phase failures and roll-back',
} as const;

export type Family = keyof typeof FAMILIES;

export interface Requirement {
  readonly id: string;
  readonly family: Family;
  readonly title: string;
}

const TITLES: Record<Family, ReadonlyArray<readonly [string, string]>> = {
  mig: [
    ['MIG-01', 'MIGRATION events go setup, active, completed'],
    ['MIG-02', 'Destination RAM is intact after completion'],
    ['MIG-03', 'Guest progresses on the destination and did not reboot'],
    ['MIG-04', 'Source ends in postmigrate and makes no progress'],
    ['MIG-05', 'Guest-observed downtime stays within downtime-limit plus tolerance'],
    ['MIG-06', 'migrate_cancel while active: cancelled, source runs on intact, destination never runs'],
    ['MIG-07', 'Unreachable destination: failed with an error text, source runs on'],
    ['MIG-08', 'Never two runners: source and destination never progress at the same time'],
  ],
  shu: [
    ['SHU-01', 'Same-host migration over a UNIX socket completes with MIG-02..04 holding'],
    ['SHU-02', 'Old QEMU to new QEMU on one host with the old machine type'],
    ['SHU-03', 'Shared guest RAM is not copied and stays intact'],
    ['SHU-04', 'cpr-transfer mode completes (QEMU >= 10.0)'],
    ['SHU-05', 'Failed upgrade after hand-over never silently resumes on shared RAM'],
    ['SHU-06', 'Migration to one\'s own host is refused at once with a clear error'],
  ],
  uuid: [
    ['UUID-01', 'Destination guest keeps the source UUID and name'],
    ['UUID-02', 'Destination already runs a guest with the same UUID: refused'],
    ['UUID-03', 'Destination has the same name with another UUID: refused'],
    ['UUID-04', 'Two hosts sharing one host UUID: refused as same-host'],
    ['UUID-05', 'QEMU validate-uuid: differing UUIDs fail, equal or unset pass'],
  ],
  p2p: [
    ['P2P-01', 'Crossed P2P migrations with one worker per daemon do not deadlock'],
    ['P2P-02', 'More concurrent P2P migrations than workers all finish'],
    ['P2P-03', 'High-priority calls answer during worker exhaustion'],
    ['P2P-04', 'Frozen target daemon: source gives up within the keepalive bound'],
    ['P2P-05', 'P2P to one\'s own host is refused at once, holding no worker'],
  ],
  spice: [
    ['SPICE-01', 'Seamless handover keeps the client session at the target'],
    ['SPICE-02', 'Unreachable target: SPICE_MIGRATE_COMPLETED within 10 s'],
    ['SPICE-03', 'Source QEMU kept alive until SPICE_MIGRATE_COMPLETED, not unboundedly'],
    ['SPICE-04', 'No client connected: no added delay'],
    ['SPICE-05', 'Stalled client: same bound as an unreachable target'],
    ['SPICE-06', 'Failed or cancelled migration: client stays with the source'],
  ],
  pcs: [
    ['PCS-01', 'Source killed in postcopy-active: destination pauses, no silent corruption'],
    ['PCS-02', 'Network cut in post-copy: recovery completes with RAM intact'],
    ['PCS-03', 'Source killed before cut-over: destination never runs the guest'],
    ['PCS-04', 'Destination killed before cut-over: source runs on intact'],
    ['PCS-05', 'Storage streamed after cut-over: losing the source stops on I/O error'],
    ['PCS-06', 'Storage mirrored before cut-over: losing either side keeps the source'],
  ],
  v3: [
    ['V3-01', 'Failure in Prepare: clean failure, guest runs on at the source'],
    ['V3-02', 'Failure in Perform: the source resumes, destination cleaned'],
    ['V3-03', 'Failure in Finish: the source resumes'],
    ['V3-04', 'Source daemon killed mid-migration: guest operational after restart'],
    ['V3-05', 'Must-succeed feature failing at the destination rolls back'],
    ['V3-INV', 'Generated fault schedules: exactly one running copy, RAM intact'],
  ],
};

export const REQUIREMENTS: ReadonlyArray<Requirement> = Object.entries(TITLES).flatMap(([family, rows]) =>
  rows.map(([id, title]) => ({ id, family: family as Family, title })),
);

const BY_ID = new Map(REQUIREMENTS.map((r) => [r.id, r]));

export function findRequirement(id: string): Requirement | undefined {
  return BY_ID.get(id.toUpperCase());
}

export function isFamily(name: string): name is Family {
  return Object.hasOwn(FAMILIES, name);
}
