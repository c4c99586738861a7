import { describe, expect, it } from 'vitest';
import { findRequirement, type Requirement } from '../requirements/catalog.ts';
import { cellOf, premiseProblems, premiseTable, type PremiseRow } from './premise-matrix.ts';

const mig08 = findRequirement('MIG-08') as Requirement;

describe('the premise matrix', () => {
  it('holds only where the withdrawn premise made the requirement not judged, naming it', () => {
    expect(
      cellOf('guest-ran', {
        verdict: 'error',
        reason: 'cannot judge: premise not met: guest-ran (...)',
        measurements: {},
      }).state,
    ).toBe('held');
    expect(cellOf('guest-ran', { verdict: 'skipped', reason: 'no policy', measurements: {} }).state).toBe('held');
    expect(cellOf('guest-ran', { verdict: 'pass', reason: 'only one side ran it', measurements: {} }).state).toBe(
      'passed',
    );
    expect(cellOf('guest-ran', { verdict: 'error', reason: 'judge crashed', measurements: {} }).state).toBe('unnamed');
    expect(cellOf('guest-ran', { verdict: 'fail', reason: 'no progress', measurements: {} }).state).toBe('judged');
    expect(cellOf('guest-ran', { error: 'the play broke' }).state).toBe('not-withdrawn');
  });

  it('a pass with a premise withdrawn, or a correct target that does not pass, is a problem; the table says each', () => {
    const row = (cells: PremiseRow['cells'], verdict: PremiseRow['correct']['verdict'] = 'pass'): PremiseRow => ({
      requirement: mig08,
      target: 'emulated',
      correct: { verdict, reason: 'r' },
      cells,
    });
    const good = row([
      cellOf('guest-ran', { verdict: 'error', reason: 'premise not met: guest-ran', measurements: {} }),
      cellOf('watched-after-end', { verdict: 'error', reason: 'premise not met: watched-after-end', measurements: {} }),
    ]);
    expect(premiseProblems([good])).toEqual([]);
    expect(premiseTable([good])[1]).toMatch(
      /^MIG-08 +pass +guest-ran -> error; watched-after-end -> error +\[emulated\]/,
    );
    const vacuous = row([cellOf('guest-ran', { verdict: 'pass', reason: 'only one side ran it', measurements: {} })]);
    expect(premiseProblems([vacuous])).toEqual([
      expect.stringMatching(/^MIG-08 with guest-ran withdrawn: .*still passed/),
    ]);
    expect(premiseTable([vacuous])[1]).toMatch(/guest-ran -> PASS!/);
    expect(premiseProblems([row([], 'fail')])).toEqual([expect.stringMatching(/does not pass on the correct target/)]);
    // Skipped where the emulated target cannot play it on this clock: listed, not a problem.
    expect(premiseProblems([row([], 'skipped')])).toEqual([]);
  });
});
