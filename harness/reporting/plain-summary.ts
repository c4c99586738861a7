import type { Reporter, TestModule } from 'vitest/node';

/** How long one test file took: setting up, importing (its top-level awaits too), its tests and hooks. */
export interface FileDuration {
  readonly file: string;
  readonly project: string;
  readonly ms: number;
}

/** The `n` slowest files, slowest first, one line each: seconds, project, file. */
export function slowestLines(files: ReadonlyArray<FileDuration>, n = 10): string[] {
  const slowest = [...files].sort((a, b) => b.ms - a.ms).slice(0, n);
  if (!slowest.length) return [];
  const width = Math.max(...slowest.map((f) => f.project.length));
  return [
    `the ${slowest.length} slowest of ${files.length} test files:`,
    ...slowest.map((f) => `${(f.ms / 1000).toFixed(1).padStart(8)} s  ${f.project.padEnd(width)}  ${f.file}`),
  ];
}

/**
 * Ends a test run with the slowest files (every file's duration is in the JSON report the
 * npm scripts write under reports/tests/) and the plain "N passed, N failed, N skipped" line
 * that CI reads.
 */
export default class PlainSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
    }
    const durations = modules.map((module) => {
      const d = module.diagnostic();
      return {
        file: module.relativeModuleId,
        project: module.project.name,
        ms: d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration + d.duration,
      };
    });
    const slowest = slowestLines(durations);
    process.stdout.write(`\n${slowest.map((l) => `${l}\n`).join('')}`);
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
