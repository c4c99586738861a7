import { z } from 'zod';
import { parseDuration, parseSize } from '../util/units.ts';

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

const hostSettings = z.strictObject({
  /** Free text shown in reports. */
  description: z.string().optional(),
  /** libvirtd's host_uuid (container hosts); give two hosts the same to make them "one host". */
  hostUuid: z.uuid().optional(),
  /** libvirtd's worker pool (container hosts). */
  workers: z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1), priority: z.number().int().min(0) }).optional(),
  /** Keepalive of libvirt's connections, P2P migration included (container hosts). */
  keepalive: z.strictObject({ interval: z.number().int().min(1), count: z.number().int().min(0) }).optional(),
});

const startStep = z.strictObject({ do: z.literal('start') });

const waitProgressStep = z.strictObject({
  do: z.literal('wait-progress'),
  side,
  passes: z.number().int().positive(),
  within: duration,
});

const migrateStep = z.strictObject({
  do: z.literal('migrate'),
  /** A host of the scenario; the guest's current host is the source. */
  to: z.string(),
  /** Nothing listens at the destination (no destination guest is started). */
  unreachable: z.boolean().default(false),
  transport: z.enum(['unix', 'tcp']).default('unix'),
  maxBandwidth: size.optional(),
  downtimeLimit: duration.optional(),
});

const waitMigrationStep = z.strictObject({
  do: z.literal('wait-migration'),
  status: z.union([migrationStatus, z.array(migrationStatus).nonempty()]).transform((s) => (Array.isArray(s) ? s : [s])),
  within: duration,
});

const cancelStep = z.strictObject({ do: z.literal('cancel') });

const observeStep = z.strictObject({
  do: z.literal('observe'),
  for: duration,
});

const checkMemoryStep = z.strictObject({
  do: z.literal('check-memory'),
  side,
});

export const stepSchema = z.discriminatedUnion('do', [
  startStep, waitProgressStep, migrateStep, waitMigrationStep, cancelStep, observeStep, checkMemoryStep,
]);

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  description: z.string(),
  /** Requirement IDs this scenario's observation is judged against. */
  judges: z.array(z.string()).nonempty(),
  hosts: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case host name'), hostSettings.nullable().transform((h) => h ?? {})),
  guest: z.strictObject({
    /** The host the guest starts on. */
    on: z.string(),
    memoryMiB: z.number().int().min(128).default(128),
    machine: z.string().optional(),
    uuid: z.uuid().optional(),
  }),
  driver: z.strictObject({
    name: z.string().default('qemu'),
    options: z.record(z.string(), z.unknown()).default({}),
  }).default({ name: 'qemu', options: {} }),
  steps: z.array(stepSchema).nonempty(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type Step = z.output<typeof stepSchema>;
export type StepOf<K extends Step['do']> = Extract<Step, { do: K }>;
