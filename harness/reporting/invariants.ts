import { combineInvariant, type Judgement } from '../judging/index.ts';
import { findRequirement } from '../requirements/catalog.ts';
import type { InvariantJudgement, RequirementResult } from './result.ts';

/**
 * Folds what the other suites judged of an invariant (MIG-08 on their scenarios) into that
 * requirement's own result, so its verdict covers every scenario the run played.
 */
export function foldInvariants(
  results: ReadonlyArray<RequirementResult>,
  judged: ReadonlyArray<InvariantJudgement>,
): RequirementResult[] {
  return results.map((result) => {
    if (!findRequirement(result.id)?.everyMigration || result.verdict === 'not-implemented') return result;
    const ownJudgement: Judgement = {
      verdict: result.verdict,
      reason: result.reason,
      measurements: result.measurements,
    };
    const own = new Set(result.scenarios ?? []);
    const others = new Map<string, InvariantJudgement>();
    for (const j of judged) if (j.id === result.id && !own.has(j.scenario)) others.set(j.scenario, j);
    if (!others.size) return result;
    const parts = [
      ...(own.size ? [{ label: [...own].join(' + '), judgement: ownJudgement }] : []),
      ...[...others.values()].map((j) => ({ label: j.scenario, judgement: j.judgement })),
    ];
    const { verdict, reason, measurements } = combineInvariant(parts);
    return { ...result, verdict, reason, measurements, scenarios: [...own, ...others.keys()] };
  });
}
