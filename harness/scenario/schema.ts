import { z } from 'zod';
import { EMULATOR_CHOICES } from '../hosts/types.ts';
import { STEPS } from '../steps/index.ts';

// The runner's input: hosts, guests, and steps. Each step kind brings its own schema
// (harness/steps/), assembled here into one union on `do`.

const NAME = /^[a-z0-9][a-z0-9-]*$/;

const hostSettings = z.strictObject({
  /** Free text shown in reports. */
  description: z.string().optional(),
  /** libvirtd's host_uuid (container hosts); give two hosts the same to make them "one host". */
  hostUuid: z.guid().optional(),
  /** libvirtd's worker pool (container hosts). */
  workers: z
    .strictObject({ min: z.number().int().min(1), max: z.number().int().min(1), priority: z.number().int().min(0) })
    .optional(),
  /**
   * Keepalive of libvirt's connections, P2P migration included (container hosts). Bounded so
   * that the watch after a migration (interval x (count + 1)) stays under two minutes.
   */
  keepalive: z
    .strictObject({ interval: z.number().int().min(1).max(10), count: z.number().int().min(0).max(10) })
    .optional(),
});

/** The most RAM a test guest may ask for: this machine's kind has 24 GiB for everything. */
export const MAX_GUEST_MEMORY_MIB = 8192;

const guestSpec = z.strictObject({
  /** The host the guest starts on. */
  on: z.string(),
  memoryMiB: z
    .number()
    .int()
    .min(128)
    .max(MAX_GUEST_MEMORY_MIB, `at most ${MAX_GUEST_MEMORY_MIB} (MiB): the test guest walks 100 MiB`)
    .default(128),
  machine: z.string().optional(),
  uuid: z.guid().optional(),
  /** The guest's name at its management layer; by default derived from the scenario's. */
  name: z.string().regex(NAME, 'lower-case letters, digits and dashes').optional(),
  /** Give the guest a SPICE display (for the SPICE family). */
  spice: z.boolean().default(false),
  /** Which of its host's QEMUs starts it. */
  emulator: z.enum(EMULATOR_CHOICES).default('default'),
  /** RAM in a file of the host, mapped shared (memory-backend-file share=on). */
  sharedMemory: z.boolean().default(false),
  /** Ready for cpr-transfer (QEMU >= 10.0): all RAM shared, auxiliary RAM included. */
  cpr: z.boolean().default(false),
  /** pagewalk: walks its RAM; diskwalk: reads and checks every sector of a data disk. */
  workload: z.enum(['pagewalk', 'diskwalk']).default('pagewalk'),
});

const stepVariants = STEPS.map((s) => s.schema);
export const stepSchema = z.discriminatedUnion(
  'do',
  stepVariants as unknown as [(typeof stepVariants)[number], ...Array<(typeof stepVariants)[number]>],
);

export const scenarioSchema = z.strictObject({
  name: z.string().regex(NAME, 'lower-case letters, digits and dashes'),
  description: z.string(),
  /** Requirement IDs this scenario's observation is judged against. */
  judges: z.array(z.string()).nonempty(),
  /** A reproduction of a bug seen on a real stack, played alone with `cutover scenario`; no suite plays it. */
  repro: z.boolean().default(false),
  hosts: z.record(
    z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case host name'),
    hostSettings.nullable().transform((h) => h ?? {}),
  ),
  guest: guestSpec,
  /** More guests, by name, for scenarios with several migrations at once. */
  guests: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case guest name'), guestSpec).default({}),
  driver: z
    .strictObject({
      name: z.string().default('qemu'),
      options: z.record(z.string(), z.unknown()).default({}),
    })
    .default({ name: 'qemu', options: {} }),
  steps: z.array(stepSchema).nonempty(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type GuestSettings = z.output<typeof guestSpec>;
export type { Step, StepOf } from '../steps/index.ts';
