// The harness's own tests, in two tiers (the requirement suites are not run from here: `cutover
// run` runs them with vitest.suites.config.ts):
//   npm test          (first tier)   the projects `unit` and `first`
//   npm run test:real (second tier)  the project `real`
// `npx vitest run` runs all three, in that order (sequence.groupOrder).
import { configDefaults, defineConfig } from 'vitest/config';

const E2E = 'harness/**/*.e2e.test.ts';

/**
 * The end-to-end files of the first tier, by name: short runs that give the most confidence per
 * minute. Every other end-to-end file is the second tier's.
 */
export const FIRST_TIER_E2E = [
  // One short real-QEMU run on process hosts and one libvirt migration in containers.
  'harness/cli/smoke.e2e.test.ts',
  // The mutation matrix on a fast clock, and on the wall clock what that clock cannot judge.
  'harness/cli/mutants.e2e.test.ts',
  // The premise matrix (`cutover premises`) in the fast configuration.
  'harness/cli/premises.e2e.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Every file's duration, as JSON (the npm scripts name a file per tier); the ten slowest
    // files and the counts end the output (plain-summary).
    reporters: ['default', 'json', './harness/reporting/plain-summary.ts'],
    outputFile: { json: 'reports/tests/vitest.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['harness/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...configDefaults.exclude, E2E],
          // Unit tests share nothing (their QEMUs, sockets and folders are their own): files in parallel.
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'first',
          include: FIRST_TIER_E2E,
          // One file at a time, after the unit tests: end-to-end runs judge timing (real QEMU,
          // containers, the emulated target on a fast clock) and check that no QEMU, emulator or
          // container is left, which another file's run would disturb.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'real',
          include: [E2E],
          exclude: [...configDefaults.exclude, ...FIRST_TIER_E2E],
          // One file at a time, as the first tier's end-to-end files, and for the same reasons.
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
