// The requirement suites, as `cutover run` runs them (it adds reporters, filters and the
// run configuration). One scenario at a time: migrations measure time, and share 2 cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 300_000, // verify() gives each requirement its own: 300 s per scenario and repetition
    hookTimeout: 60_000,
    setupFiles: ['allure-vitest/setup'],
  },
});
