// The words every layer shares, each list written once: scenario schemas, drivers, judges
// and the timeline all take them from here.

export const SIDES = ['source', 'destination'] as const;
export type Side = (typeof SIDES)[number];

/** QEMU's migration statuses (qapi MigrationStatus); other implementations map theirs onto these. */
export const MIGRATION_STATUSES = [
  'none',
  'setup',
  'active',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'postcopy-active',
  'postcopy-paused',
  'postcopy-recover-setup',
  'postcopy-recover',
  'pre-switchover',
  'device',
  'wait-unplug',
  'colo',
] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

/** QEMU's default downtime-limit (qapi MigrationParameters), what a migration gets unless asked otherwise. */
export const QEMU_DOWNTIME_LIMIT_MS = 300;

/** QEMU's first release with migration mode cpr-transfer. */
export const CPR_TRANSFER_SINCE = '10.0';

/** Statuses a migration ends in. */
export const FINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies ReadonlyArray<MigrationStatus>;

/**
 * QEMU's run states; 'gone' when the guest's process or domain is known to have ended,
 * 'unknown' when asking failed and nothing says it ended (a frozen daemon, a cut link), and
 * 'other' for a state cutover has no word for.
 */
export const RUN_STATES = [
  'running',
  'paused',
  'postmigrate',
  'inmigrate',
  'finish-migrate',
  'prelaunch',
  'shutdown',
  'internal-error',
  'io-error',
  'suspended',
  'guest-panicked',
  'other',
  'gone',
  'unknown',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Features a migration may mark must-succeed: their failure at the destination must fail the migration. */
export const MUST_SUCCEED_FEATURES = ['graphics-relocation'] as const;
export type MustSucceedFeature = (typeof MUST_SUCCEED_FEATURES)[number];

/**
 * What an implementation can do, declared by its driver. Scenarios that need a capability the
 * driver lacks are skipped with that reason; nothing asks for a driver by its name.
 */
export const CAPABILITIES = {
  postcopy: 'switches a running migration to post-copy',
  'postcopy-recover': 'resumes a paused post-copy migration over a new connection',
  'cpr-transfer': 'hands RAM over by file descriptors (QEMU cpr-transfer)',
  'shared-memory': 'runs guests whose RAM lives in a shared file of the host',
  'ignore-shared': 'leaves RAM both sides share out of the stream (x-ignore-shared)',
  'validate-uuid': "has the destination check the source's UUID (QEMU validate-uuid)",
  'destination-uuid': "starts the destination under another UUID than the source's",
  'storage-stream-after': 'streams the disk in after cut-over (copy-on-read over NBD)',
  'storage-mirror-before': 'mirrors the disk before cut-over',
  spice: 'gives guests a SPICE display',
  'spice-relocation': 'tells the SPICE client where to go before migrating',
  inventory: 'lists the guests a host holds',
  registry: 'keeps a registry of guests and hosts and checks migrations against it',
  'management-layer':
    'is the management layer under test: its own policy decides when a source ends, what a failure leaves, which identity a guest gets',
  'daemon-pools': 'runs daemons with worker pools it can report, probe, freeze and restart',
  'protocol-phases': 'reports the phases of its migration protocol as events',
  'must-succeed': 'fails and rolls back a migration when a feature marked must-succeed fails at the destination',
  'refuse-prepare': "can make a destination refuse Prepare (libvirt's migrate hook; a destination that cannot start)",
  'migration-relay': "sends the migration stream through the harness's relay, so link faults can cut it",
  'host-uuid': 'takes a host UUID per host (two hosts can be made to look like one)',
} as const;
export type Capability = keyof typeof CAPABILITIES;
export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as Capability[];
