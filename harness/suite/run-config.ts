import { z } from 'zod';
import { CAPABILITY_NAMES } from '../drivers/vocabulary.ts';
import { HOST_FEATURES, type HostFeature } from '../hosts/types.ts';

// How `cutover run` tells the suites (running in vitest's workers) what to run against.
const ENV = 'CUTOVER_RUN';

const runConfigSchema = z.object({
  runDir: z.string(),
  driver: z.string(),
  /** The driver's name as it calls itself (a module path's driver names itself). */
  driverName: z.string(),
  hosts: z.string(),
  image: z.string().default('bookworm'),
  /** Bug variants switched on in emulated hosts. */
  bugs: z.array(z.string()).default([]),
  accel: z.enum(['auto', 'kvm', 'tcg']),
  driverOptions: z.record(z.string(), z.unknown()).default({}),
  /** Plays every requirement's scenarios this many times (else each requirement's own default). */
  repeat: z.number().int().min(1).optional(),
  /** What the driver declared it can do, and what the hosts offer (preconditions ask these). */
  capabilities: z.array(z.enum(CAPABILITY_NAMES as [string, ...string[]])),
  hostFeatures: z.array(z.enum(Object.keys(HOST_FEATURES) as [HostFeature, ...HostFeature[]])),
  /** The protocol phases the driver reports (generated fault schedules place faults at them). */
  phases: z.object({ source: z.array(z.string()), destination: z.array(z.string()) }).optional(),
});

export type RunConfig = z.output<typeof runConfigSchema>;

export function encodeRunConfig(config: RunConfig): Record<string, string> {
  return { [ENV]: JSON.stringify(config) };
}

export function readRunConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const raw = env[ENV];
  if (!raw) throw new Error(`${ENV} is not set: the suites are run by \`npx cutover run\`, not by vitest directly`);
  return runConfigSchema.parse(JSON.parse(raw));
}
