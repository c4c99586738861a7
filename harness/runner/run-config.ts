import { z } from 'zod';

// How `cutover run` tells the suites (running in vitest's workers) what to run against.
const ENV = 'CUTOVER_RUN';

const runConfigSchema = z.object({
  runDir: z.string(),
  driver: z.string(),
  hosts: z.string(),
  image: z.string().default('bookworm'),
  accel: z.enum(['auto', 'kvm', 'tcg']),
  driverOptions: z.record(z.string(), z.unknown()).default({}),
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
