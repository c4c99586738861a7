import { basename } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Families side by side (`run --jobs`): the one holding the longest wait starts first, or it
// ends the run alone. vitest orders files by the durations it cached, and without them (a
// clean clone) by size, which put mig (silent-destination: 14 s at x10) last: 42.6 s for the
// fast emulated run against 32.4 s with mig first.
const LONGEST_FIRST = ['mig', 'v3', 'p2p', 'spice', 'pcs', 'uuid', 'shu'];

export class LongestFamilyFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const at = LONGEST_FIRST.indexOf(basename(file.moduleId, '.test.ts'));
      return at < 0 ? LONGEST_FIRST.length : at;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}
