// The harness's own tests (unit tests beside the code, and the end-to-end check of the CLI).
// The requirement suites are not run from here: `cutover run` runs them with its own config.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts', 'bench/**/*.test.ts'],
    pool: 'forks',
    // One file at a time: the end-to-end files run real migrations (timing judged) and check
    // that no QEMU or container is left, which another file's run would disturb.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './harness/reporting/plain-summary.ts'],
  },
});
