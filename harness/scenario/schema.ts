import { z } from 'zod';
import { parseDuration, parseSize } from '../util/units.ts';
import { FAULT_KINDS } from '../faults/index.ts';

// The runner's input. Steps are a tagged union on `do`, so later families add step kinds
// (faults, recovery, SPICE clients...) without touching the ones here.

const duration = z.union([
  z.number().nonnegative(),
  z.string().refine((s) => parseDuration(s) !== undefined, 'a duration like "500ms", "20s" or "2m"'),
]).transform((v) => (typeof v === 'number' ? v : (parseDuration(v) as number)));

const size = z.union([
  z.number().int().positive(),
  z.string().refine((s) => parseSize(s) !== undefined, 'a size like "64MiB" or "8GiB"'),
]).transform((v) => (typeof v === 'number' ? v : (parseSize(v) as number)));

export const SIDES = ['source', 'destination'] as const;
const side = z.enum(SIDES);

export const MIGRATION_STATUSES = [
  'none', 'setup', 'active', 'completed', 'failed', 'cancelling', 'cancelled', 'postcopy-active',
  'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover', 'pre-switchover', 'device', 'wait-unplug', 'colo',
] as const;
const migrationStatus = z.enum(MIGRATION_STATUSES);

/** Place a fault by migration state: armed now, it strikes when the migration reaches this status. */
const when = migrationStatus.optional();

const hostSettings = z.strictObject({
  /** Free text shown in reports. */
  description: z.string().optional(),
  /** libvirtd's host_uuid (container hosts); give two hosts the same to make them "one host". */
  hostUuid: z.guid().optional(),
  /** libvirtd's worker pool (container hosts). */
  workers: z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1), priority: z.number().int().min(0) }).optional(),
  /** Keepalive of libvirt's connections, P2P migration included (container hosts). */
  keepalive: z.strictObject({ interval: z.number().int().min(1), count: z.number().int().min(0) }).optional(),
});

/** Which guest a step acts on: the scenario's `guest` unless named. */
const guestRef = z.string().optional();

const startStep = z.strictObject({ do: z.literal('start'), guest: guestRef });

const waitProgressStep = z.strictObject({
  do: z.literal('wait-progress'),
  guest: guestRef,
  side,
  passes: z.number().int().positive(),
  within: duration,
});

export const EMULATOR_CHOICES = ['default', 'oldest', 'newest'] as const;
const emulatorChoice = z.enum(EMULATOR_CHOICES);

/** How the destination's guest differs from the source's (an upgrade, an identity clash). */
const destinationSpec = z.strictObject({
  /** Which of the destination host's QEMUs receives the guest. */
  emulator: emulatorChoice.optional(),
  /** Another UUID than the source's, or 'none' for a QEMU without -uuid. */
  uuid: z.union([z.guid(), z.literal('none')]).optional(),
});

const migrateStep = z.strictObject({
  do: z.literal('migrate'),
  guest: guestRef,
  /** A host of the scenario; the guest's current host is the source. */
  to: z.string(),
  /** Nothing listens at the destination (no destination guest is started). */
  unreachable: z.boolean().default(false),
  transport: z.enum(['unix', 'tcp']).default('unix'),
  maxBandwidth: size.optional(),
  downtimeLimit: duration.optional(),
  /**
   * Where the SPICE client is sent before migrating: the destination's SPICE server, a
   * listener of the harness's that accepts and never answers, or nowhere.
   */
  spice: z.enum(['destination', 'blackhole', 'none']).default('destination'),
  /** Leave RAM both QEMUs share out of the stream (x-ignore-shared). */
  ignoreShared: z.boolean().default(false),
  /** The destination checks the source's UUID (validate-uuid). */
  validateUuid: z.boolean().default(false),
  /** QEMU's migration mode; cpr-transfer needs QEMU >= 10.0. */
  mode: z.enum(['normal', 'cpr-transfer']).default('normal'),
  destination: destinationSpec.default({}),
  /** Post-copy allowed; `start-postcopy` switches. */
  postcopy: z.boolean().default(false),
  /** Pages after the switch at this rate: low, so a fault lands while pages are missing. */
  postcopyBandwidth: size.optional(),
  /** The stream goes through the harness's relay, so `link` can cut it (process hosts). */
  relay: z.boolean().default(false),
  /** How the data disk moves: streamed in after cut-over, or mirrored before it. */
  storage: z.strictObject({
    mode: z.enum(['stream-after', 'mirror-before']),
    bandwidth: size.optional(),
    errorPolicy: z.enum(['stop', 'report']).default('stop'),
  }).optional(),
});

const startPostcopyStep = z.strictObject({ do: z.literal('start-postcopy'), guest: guestRef });

/** Takes a paused post-copy migration up again (migrate-recover and resume; --postcopy-resume). */
const recoverStep = z.strictObject({
  do: z.literal('recover'),
  guest: guestRef,
  postcopyBandwidth: size.optional(),
});

/**
 * The migration link of a guest: its relay on process hosts, else the destination host's
 * network link. cut: reset and refuse; blackhole: silently drop; heal: back up.
 */
const linkStep = z.strictObject({
  do: z.literal('link'),
  guest: guestRef,
  action: z.enum(['cut', 'blackhole', 'heal']),
  when,
});

/** Sends a signal to a guest's emulator: kill -9 (the default), or freeze and thaw it. */
const killStep = z.strictObject({
  do: z.literal('kill'),
  guest: guestRef,
  side,
  signal: z.enum(['SIGKILL', 'SIGSTOP', 'SIGCONT']).default('SIGKILL'),
  when,
});

/** Records which guests each host's management layer holds (or one host's). */
const inventoryStep = z.strictObject({
  do: z.literal('inventory'),
  host: z.string().optional(),
});

const waitMigrationStep = z.strictObject({
  do: z.literal('wait-migration'),
  guest: guestRef,
  status: z.union([migrationStatus, z.array(migrationStatus).nonempty()]).transform((s) => (Array.isArray(s) ? s : [s])),
  within: duration,
});

const cancelStep = z.strictObject({ do: z.literal('cancel'), guest: guestRef });

const observeStep = z.strictObject({
  do: z.literal('observe'),
  for: duration,
});

const checkMemoryStep = z.strictObject({
  do: z.literal('check-memory'),
  guest: guestRef,
  side,
});

/** Reads a side's data disk from its host and checks every sector it holds of its own. */
const checkDiskStep = z.strictObject({
  do: z.literal('check-disk'),
  guest: guestRef,
  side,
});

const faultStep = z.strictObject({
  do: z.literal('fault'),
  fault: z.enum(FAULT_KINDS),
  host: z.string(),
  /** The process a process fault hits; libvirtd by default. */
  process: z.string().optional(),
});

/** Samples every host's daemon worker pool in the background until the scenario ends. */
const watchDaemonsStep = z.strictObject({
  do: z.literal('watch-daemons'),
  every: duration.default(250),
});

/**
 * Waits until the named guests' migrations have all ended, or declares a deadlock: every
 * daemon with no free worker and a queue, and no migration event, for `settle`.
 */
const awaitDeadlockStep = z.strictObject({
  do: z.literal('await-deadlock'),
  guests: z.array(z.string()).nonempty(),
  settle: duration.default(2000),
  within: duration,
});

export const PROBE_CALLS = ['list', 'domstate', 'destroy', 'domjobinfo'] as const;

/** Makes management calls to a host's daemon and records whether and how fast they answer. */
const probeCallsStep = z.strictObject({
  do: z.literal('probe-calls'),
  host: z.string(),
  calls: z.array(z.enum(PROBE_CALLS)).nonempty(),
  guest: guestRef,
  within: duration,
});

const guestSpec = z.strictObject({
  /** The host the guest starts on. */
  on: z.string(),
  memoryMiB: z.number().int().min(128).default(128),
  machine: z.string().optional(),
  uuid: z.guid().optional(),
  /** The guest's name at its management layer; by default derived from the scenario's. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes').optional(),
  /** Give the guest a SPICE display (for the SPICE family). */
  spice: z.boolean().default(false),
  /** Which of its host's QEMUs starts it. */
  emulator: emulatorChoice.default('default'),
  /** RAM in a file of the host, mapped shared (memory-backend-file share=on). */
  sharedMemory: z.boolean().default(false),
  /** Ready for cpr-transfer (QEMU >= 10.0): all RAM shared, auxiliary RAM included. */
  cpr: z.boolean().default(false),
  /** pagewalk: walks its RAM; diskwalk: reads and checks every sector of a data disk. */
  workload: z.enum(['pagewalk', 'diskwalk']).default('pagewalk'),
});

/** The harness's own SPICE client (remote-viewer under Xvfb), connected to the source. */
const spiceClientStep = z.strictObject({
  do: z.literal('spice-client'),
  action: z.enum(['connect', 'freeze', 'thaw', 'kill']),
  guest: guestRef,
  within: duration.default(20_000),
});

const waitEventStep = z.strictObject({
  do: z.literal('wait-event'),
  guest: guestRef,
  side,
  event: z.string(),
  within: duration,
});

/** Waits until the guest's emulator process on a side has ended (a manager stopping it). */
const waitExitStep = z.strictObject({
  do: z.literal('wait-exit'),
  guest: guestRef,
  side,
  within: duration,
});

const querySpiceStep = z.strictObject({
  do: z.literal('query-spice'),
  guest: guestRef,
  side,
});

export const stepSchema = z.discriminatedUnion('do', [
  startStep, waitProgressStep, migrateStep, waitMigrationStep, cancelStep, observeStep, checkMemoryStep,
  faultStep, watchDaemonsStep, awaitDeadlockStep, probeCallsStep,
  spiceClientStep, waitEventStep, waitExitStep, querySpiceStep, killStep, inventoryStep,
  startPostcopyStep, recoverStep, linkStep, checkDiskStep,
]);

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  description: z.string(),
  /** Requirement IDs this scenario's observation is judged against. */
  judges: z.array(z.string()).nonempty(),
  hosts: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case host name'), hostSettings.nullable().transform((h) => h ?? {})),
  guest: guestSpec,
  /** More guests, by name, for scenarios with several migrations at once. */
  guests: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case guest name'), guestSpec).default({}),
  driver: z.strictObject({
    name: z.string().default('qemu'),
    options: z.record(z.string(), z.unknown()).default({}),
  }).default({ name: 'qemu', options: {} }),
  steps: z.array(stepSchema).nonempty(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type Step = z.output<typeof stepSchema>;
export type StepOf<K extends Step['do']> = Extract<Step, { do: K }>;
