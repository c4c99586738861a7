import { MIG_01, MIG_02, MIG_03, MIG_04, MIG_05, MIG_06, MIG_07, MIG_08 } from './mig.ts';
import { P2P_01, P2P_02, P2P_03, P2P_04, P2P_05 } from './p2p.ts';
import { SPICE_01, SPICE_02, SPICE_03, SPICE_04, SPICE_05, SPICE_06 } from './spice.ts';
import { PCS_01, PCS_02, PCS_03, PCS_04, PCS_05, PCS_06 } from './pcs.ts';
import { SHU_01, SHU_02, SHU_03, SHU_04, SHU_05, SHU_06 } from './shu.ts';
import { V3_01, V3_02, V3_03, V3_04, V3_05, V3_INV } from './v3.ts';
import { UUID_01, UUID_02, UUID_03, UUID_04, UUID_05 } from './uuid.ts';
import type { Observation } from '../observation/types.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { PREMISE_CHECKS } from './premises.ts';
import { CannotJudge, PremiseMissing, run, skipped, type Judge, type Verdict } from './verdict.ts';

/** Every requirement cutover can judge, by ID. */
export const JUDGES: Readonly<Record<string, Judge>> = {
  'MIG-01': MIG_01,
  'MIG-02': MIG_02,
  'MIG-03': MIG_03,
  'MIG-04': MIG_04,
  'MIG-05': MIG_05,
  'MIG-06': MIG_06,
  'MIG-07': MIG_07,
  'MIG-08': MIG_08,
  'P2P-01': P2P_01,
  'P2P-02': P2P_02,
  'P2P-03': P2P_03,
  'P2P-04': P2P_04,
  'P2P-05': P2P_05,
  'SPICE-01': SPICE_01,
  'SPICE-02': SPICE_02,
  'SPICE-03': SPICE_03,
  'SPICE-04': SPICE_04,
  'SPICE-05': SPICE_05,
  'SPICE-06': SPICE_06,
  'SHU-01': SHU_01,
  'SHU-02': SHU_02,
  'SHU-03': SHU_03,
  'SHU-04': SHU_04,
  'SHU-05': SHU_05,
  'SHU-06': SHU_06,
  'PCS-01': PCS_01,
  'PCS-02': PCS_02,
  'PCS-03': PCS_03,
  'PCS-04': PCS_04,
  'PCS-05': PCS_05,
  'PCS-06': PCS_06,
  'UUID-01': UUID_01,
  'UUID-02': UUID_02,
  'UUID-03': UUID_03,
  'UUID-04': UUID_04,
  'UUID-05': UUID_05,
  'V3-01': V3_01,
  'V3-02': V3_02,
  'V3-03': V3_03,
  'V3-04': V3_04,
  'V3-05': V3_05,
  'V3-INV': V3_INV,
};

/**
 * Judges one requirement. A scenario the implementation could not play as written (a
 * setting it does not offer, a QEMU too old) is skipped with the implementation's own words:
 * what it cannot do was observed, not assumed. Then its premises: one that cutover did not
 * create makes it "cannot judge" (PremiseMissing), whatever the judge would say, unless the
 * judge finds the requirement does not apply here at all (skipped); one the implementation
 * itself prevented leaves the verdict to the judge, and the reason says so first.
 */
export function decide(id: string, observation: Observation): Verdict {
  const judge = JUDGES[id];
  if (!judge) throw new Error(`cutover cannot judge ${id}`);
  const unsupported = observation.steps.find((s) => s.outcome === 'unsupported');
  if (unsupported)
    return skipped(
      `${observation.driver.name} driver, step ${unsupported.index} (${unsupported.do}): ${unsupported.detail ?? 'not supported'}`,
    );
  const premises = (findRequirement(id)?.premises ?? []).map((p) => ({
    ...p,
    check: PREMISE_CHECKS[p.id](observation),
  }));
  const missing = premises.flatMap((p) =>
    !p.check.held && p.check.by === 'cutover' ? [{ ...p, why: p.check.why }] : [],
  );
  if (missing.length) {
    const applies = tryJudge(judge, observation);
    if (applies?.verdict === 'skipped') return applies;
    throw new PremiseMissing(missing);
  }
  const prevented = premises.flatMap((p) => (!p.check.held ? [`${p.text}: no (${p.check.why})`] : []));
  const verdict = run(judge, observation);
  if (!prevented.length) return verdict;
  return {
    ...verdict,
    reason: `the implementation kept a premise from holding: ${prevented.join('; ')}; so: ${verdict.reason}`,
  };
}

/** The judge's verdict, or undefined where it cannot judge. */
function tryJudge(judge: Judge, observation: Observation): Verdict | undefined {
  try {
    return run(judge, observation);
  } catch {
    return undefined;
  }
}

/**
 * One requirement judged on several observations (a fault placed at setup, then at active):
 * it fails if any fails, is skipped only if all are, and says what each showed. A pass says on
 * how many scenarios it was judged, and what kept the others from judging it (a pass on part
 * of the scenarios is not a pass on all).
 */
export function combineVerdicts(
  parts: ReadonlyArray<{ readonly label: string; readonly verdict: Verdict; readonly cannot?: boolean }>,
): Verdict {
  if (parts.length === 1 && parts[0]) return parts[0].verdict;
  const failed = parts.filter((p) => p.verdict.verdict === 'fail');
  const judged = parts.filter((p) => p.verdict.verdict !== 'skipped');
  const undecided = parts.filter((p) => p.cannot);
  const kind = failed.length ? 'fail' : judged.length ? 'pass' : 'skipped';
  const shown = failed.length ? failed : parts;
  const words = shown
    .map(
      (p) =>
        `${p.label}: ${p.verdict.verdict === 'skipped' && kind !== 'skipped' && !p.cannot ? 'skipped: ' : ''}${p.verdict.reason}`,
    )
    .join(' | ');
  const count =
    kind === 'pass' && (undecided.length || judged.length < parts.length)
      ? `pass on ${judged.length} of ${parts.length} scenarios${undecided.length ? `; ${undecided.length} could not judge it` : ''}${parts.length - judged.length - undecided.length > 0 ? `; ${parts.length - judged.length - undecided.length} skipped it` : ''}: `
      : '';
  const measurements: Record<string, number> = { scenariosJudged: judged.length, scenarios: parts.length };
  for (const p of parts)
    for (const [k, v] of Object.entries(p.verdict.measurements)) measurements[`${p.label}.${k}`] = v;
  return { verdict: kind, reason: count + words, measurements };
}

/** A requirement's verdict, or 'error' when cutover itself could not decide (never a pass). */
export type Judgement =
  | Verdict
  | { readonly verdict: 'error'; readonly reason: string; readonly measurements: Readonly<Record<string, number>> };

/** Judges one requirement on the observations of its scenarios, as the suites and `cutover judge` both do. */
export function judgeRequirement(id: string, observations: ReadonlyArray<Observation>): Judgement {
  try {
    // A scenario that did not create the condition counts as not judged, if another did.
    const parts = observations.map((obs) => {
      try {
        return { label: obs.scenario.name, verdict: decide(id, obs) };
      } catch (err) {
        if (!(err instanceof CannotJudge) || observations.length === 1) throw err;
        return { label: obs.scenario.name, verdict: skipped(`cannot judge: ${err.message}`), cannot: true };
      }
    });
    const undecided = parts.filter((p) => 'cannot' in p && p.cannot);
    if (undecided.length === parts.length)
      throw new CannotJudge(parts.map((p) => `${p.label}: ${p.verdict.reason}`).join(' | '));
    return combineVerdicts(parts);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return {
      verdict: 'error',
      reason: err instanceof CannotJudge ? `cannot judge: ${text}` : `judge crashed: ${text}`,
      measurements: {},
    };
  }
}

/**
 * An invariant judged on every scenario a run played (MIG-08): it fails if it failed in any,
 * errors if cutover could not decide one and none failed, and a pass names every scenario it
 * held in (those where it was not judged are said too).
 */
export function combineInvariant(
  parts: ReadonlyArray<{ readonly label: string; readonly judgement: Judgement }>,
): Judgement {
  const first = parts[0];
  if (!first) throw new Error('no scenario to combine');
  const of = (kind: Judgement['verdict']) => parts.filter((p) => p.judgement.verdict === kind);
  const words = (list: typeof parts) => list.map((p) => `${p.label}: ${p.judgement.reason}`).join(' | ');
  const measurements = { scenarios: parts.length, scenariosFailed: of('fail').length };
  if (of('fail').length)
    return {
      verdict: 'fail',
      reason: `failed in ${of('fail').length} of ${parts.length} scenarios: ${words(of('fail'))}`,
      measurements,
    };
  if (of('error').length)
    return {
      verdict: 'error',
      reason: `could not decide ${of('error').length} of ${parts.length} scenarios: ${words(of('error'))}`,
      measurements,
    };
  const held = of('pass');
  const notJudged = of('skipped');
  if (!held.length) return { ...first.judgement, measurements };
  const example = held.find((p) => p.label === first.label) ?? (held[0] as (typeof parts)[number]);
  return {
    verdict: 'pass',
    reason: `held in ${held.length} scenarios (${held.map((p) => p.label).join(', ')})${notJudged.length ? `; not judged in ${notJudged.map((p) => p.label).join(', ')}` : ''}; ${example.label}: ${example.judgement.reason}`,
    measurements: { ...example.judgement.measurements, ...measurements },
  };
}

/** How a requirement played several times fared: a failure in any repetition is a failure. */
export interface Repeated {
  readonly judgement: Judgement;
  readonly failed: number;
  readonly of: number;
}

/**
 * A requirement judged once per repetition of its scenarios (behaviour that depends on
 * timing): it fails if any repetition fails ("failed k of N", with the first failure's
 * words), errors if cutover could not decide one and none failed, passes only if every
 * judged repetition passed.
 */
export function combineRepetitions(runs: ReadonlyArray<Judgement>): Repeated {
  const of = runs.length;
  const failed = runs.filter((r) => r.verdict === 'fail');
  const first = runs[0];
  if (!first) throw new Error('no repetition to combine');
  if (of === 1) return { judgement: first, failed: failed.length, of };
  const numbered = (kinds: ReadonlyArray<string>) =>
    runs.flatMap((r, i) => (kinds.includes(r.verdict) ? [`#${i + 1}`] : [])).join(', ');
  const errored = runs.find((r) => r.verdict === 'error');
  const judged = runs.filter((r) => r.verdict === 'pass' || r.verdict === 'fail');
  const measurements = { ...first.measurements, repetitions: of, repetitionsFailed: failed.length };
  if (failed[0])
    return {
      judgement: {
        verdict: 'fail',
        reason: `failed ${failed.length} of ${of} (${numbered(['fail'])}): ${failed[0].reason}`,
        measurements,
      },
      failed: failed.length,
      of,
    };
  if (errored)
    return {
      judgement: {
        verdict: 'error',
        reason: `could not decide ${numbered(['error'])} of ${of}: ${errored.reason}`,
        measurements,
      },
      failed: 0,
      of,
    };
  if (!judged.length) return { judgement: { ...first, measurements }, failed: 0, of };
  return {
    judgement: {
      verdict: 'pass',
      reason: `passed ${judged.length} of ${of}: ${(judged[0] as Judgement).reason}`,
      measurements,
    },
    failed: 0,
    of,
  };
}

export * from './verdict.ts';
