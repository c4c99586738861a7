import { describe, expect, it } from 'vitest';
import {
  combineInvariant,
  combineRepetitions,
  combineVerdicts,
  fail,
  judgeRequirement,
  pass,
  skipped,
} from './index.ts';
import { fixture } from './fixture.ts';
import type { Observation } from '../observation/types.ts';

describe('one requirement judged on several scenarios', () => {
  it('passes only when every judged scenario passes, naming each', () => {
    const v = combineVerdicts([
      { label: 'at-setup', verdict: pass('ok 1', { ms: 3 }) },
      { label: 'at-active', verdict: pass('ok 2', { ms: 5 }) },
    ]);
    expect(v).toEqual({
      verdict: 'pass',
      reason: 'at-setup: ok 1 | at-active: ok 2',
      measurements: { scenarios: 2, scenariosJudged: 2, 'at-setup.ms': 3, 'at-active.ms': 5 },
    });
  });
  it('fails when any fails, and says which', () => {
    const v = combineVerdicts([
      { label: 'a', verdict: pass('fine') },
      { label: 'b', verdict: fail('broke') },
    ]);
    expect(v.verdict).toBe('fail');
    expect(v.reason).toBe('b: broke');
  });
  it('is skipped only when all are, and a skipped part is said beside a pass; a single one stays as it is', () => {
    const partly = combineVerdicts([
      { label: 'a', verdict: skipped('n/a') },
      { label: 'b', verdict: pass('fine') },
    ]);
    expect(partly).toMatchObject({
      verdict: 'pass',
      reason: 'pass on 1 of 2 scenarios; 1 skipped it: a: skipped: n/a | b: fine',
    });
    expect(combineVerdicts([{ label: 'a', verdict: skipped('n/a') }]).reason).toBe('n/a');
  });
});

describe('one requirement played several times', () => {
  it('fails if any repetition fails, saying how many and which', () => {
    const r = combineRepetitions([pass('ok'), fail('dropped the session'), pass('ok'), fail('dropped again')]);
    expect(r).toMatchObject({
      failed: 2,
      of: 4,
      judgement: { verdict: 'fail', reason: 'failed 2 of 4 (#2, #4): dropped the session' },
    });
    expect(r.judgement.measurements).toMatchObject({ repetitions: 4, repetitionsFailed: 2 });
  });
  it('passes only when every judged repetition passed; an undecided one is an error, never a pass', () => {
    expect(combineRepetitions([pass('ok 1'), pass('ok 2')]).judgement).toMatchObject({
      verdict: 'pass',
      reason: 'passed 2 of 2: ok 1',
    });
    expect(
      combineRepetitions([pass('ok'), { verdict: 'error', reason: 'harness broke', measurements: {} }]).judgement,
    ).toMatchObject({ verdict: 'error', reason: 'could not decide #2 of 2: harness broke' });
    expect(combineRepetitions([pass('once')])).toMatchObject({ failed: 0, of: 1, judgement: { reason: 'once' } });
  });
});

describe('an invariant judged on every scenario of a run', () => {
  it('passes naming every scenario it held in, and those it was not judged in', () => {
    const v = combineInvariant([
      { label: 'precopy', judgement: pass('held', { watchedMs: 5000 }) },
      { label: 'cancel', judgement: pass('held too') },
      { label: 'own-host', judgement: skipped('n/a') },
    ]);
    expect(v).toMatchObject({
      verdict: 'pass',
      reason: 'held in 2 scenarios (precopy, cancel); not judged in own-host; precopy: held',
      measurements: { watchedMs: 5000, scenarios: 3, scenariosFailed: 0 },
    });
  });
  it('fails when it failed in any scenario, naming only those; an undecided one is an error', () => {
    expect(
      combineInvariant([
        { label: 'a', judgement: pass('ok') },
        { label: 'b', judgement: fail('two runners') },
      ]),
    ).toMatchObject({ verdict: 'fail', reason: 'failed in 1 of 2 scenarios: b: two runners' });
    expect(
      combineInvariant([
        { label: 'a', judgement: pass('ok') },
        { label: 'b', judgement: { verdict: 'error', reason: 'no watch', measurements: {} } },
      ]),
    ).toMatchObject({ verdict: 'error', reason: 'could not decide 1 of 2 scenarios: b: no watch' });
  });
});

describe('a requirement judged on several scenarios, one of which did not create its condition', () => {
  it('is decided by those that did, and says which did not', () => {
    const recovered = fixture('qemu-7.2-pcs-link-cut-postcopy') as Observation;
    const notRecovered = {
      ...recovered,
      scenario: { ...recovered.scenario, name: 'never-recovered' },
      actions: [],
    } as Observation;
    const both = judgeRequirement('PCS-02', [recovered, notRecovered]);
    expect(both.verdict).toBe('pass');
    expect(both.reason).toMatch(
      /^pass on 1 of 2 scenarios; 1 could not judge it: .* never-recovered: cannot judge: premise not met: recovery-asked/,
    );
    expect(both.measurements).toMatchObject({ scenarios: 2, scenariosJudged: 1 });
    expect(judgeRequirement('PCS-02', [notRecovered, notRecovered]).verdict).toBe('error');
  });
});
