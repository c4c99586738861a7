import { describe, expect, it } from 'vitest';
import { fail, pass } from '../judging/index.ts';
import { foldInvariants } from './invariants.ts';
import type { RequirementResult } from './result.ts';

const result = (id: string, verdict: RequirementResult['verdict'], scenarios: string[]): RequirementResult => ({
  id,
  verdict,
  reason: `${verdict} on ${scenarios.join(', ')}`,
  durationMs: 1,
  measurements: {},
  evidence: [],
  scenarios,
});

describe('an invariant judged on the scenarios of other requirements', () => {
  it('is folded into its own result: a failure anywhere fails it, naming the scenario', () => {
    const [mig08, pcs01] = foldInvariants(
      [result('MIG-08', 'pass', ['precopy']), result('PCS-01', 'pass', ['pcs-source-lost-postcopy'])],
      [
        { id: 'MIG-08', scenario: 'pcs-source-lost-postcopy', judgement: fail('both sides ran the guest') },
        { id: 'MIG-08', scenario: 'precopy', judgement: pass('dup') },
      ],
    );
    expect(mig08).toMatchObject({
      verdict: 'fail',
      reason: 'failed in 1 of 2 scenarios: pcs-source-lost-postcopy: both sides ran the guest',
      scenarios: ['precopy', 'pcs-source-lost-postcopy'],
    });
    expect(pcs01?.verdict).toBe('pass');
  });
  it('leaves a requirement alone when nothing else judged it, or it is no invariant', () => {
    const alone = [result('MIG-08', 'pass', ['precopy']), result('MIG-01', 'pass', ['precopy'])];
    expect(foldInvariants(alone, [{ id: 'MIG-01', scenario: 'x', judgement: fail('no') }])).toEqual(alone);
  });
});
