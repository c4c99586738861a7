import { describe, expect, it } from 'vitest';
import { combineVerdicts, fail, pass, skipped } from './index.ts';

describe('one requirement judged on several scenarios', () => {
  it('passes only when every judged scenario passes, naming each', () => {
    const v = combineVerdicts([{ label: 'at-setup', verdict: pass('ok 1', { ms: 3 }) }, { label: 'at-active', verdict: pass('ok 2', { ms: 5 }) }]);
    expect(v).toEqual({ verdict: 'pass', reason: 'at-setup: ok 1 | at-active: ok 2', measurements: { 'at-setup.ms': 3, 'at-active.ms': 5 } });
  });
  it('fails when any fails, and says which', () => {
    const v = combineVerdicts([{ label: 'a', verdict: pass('fine') }, { label: 'b', verdict: fail('broke') }]);
    expect(v.verdict).toBe('fail');
    expect(v.reason).toBe('b: broke');
  });
  it('is skipped only when all are; a single one stays as it is', () => {
    expect(combineVerdicts([{ label: 'a', verdict: skipped('n/a') }, { label: 'b', verdict: pass('fine') }]).verdict).toBe('pass');
    expect(combineVerdicts([{ label: 'a', verdict: skipped('n/a') }]).reason).toBe('n/a');
  });
});
