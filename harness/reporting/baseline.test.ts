import { describe, expect, it } from 'vitest';
import type { VerdictKind } from '../judging/verdict.ts';
import { compareCertificates, comparisonLines } from './baseline.ts';

const cert = (...rows: Array<[string, VerdictKind]>) => ({
  results: rows.map(([id, verdict]) => ({ id, verdict, reason: `${id} ${verdict}` })) as never,
});

describe('comparing with a baseline', () => {
  const baseline = cert(
    ['P2P-01', 'fail'],
    ['PCS-02', 'fail'],
    ['MIG-04', 'pass'],
    ['MIG-05', 'error'],
    ['SHU-06', 'pass'],
    ['MIG-07', 'error'],
  );

  it('the same failures are no regression', () => {
    const same = compareCertificates(baseline, cert(['P2P-01', 'fail'], ['PCS-02', 'fail'], ['MIG-04', 'pass']));
    expect(same.regressions).toEqual([]);
    expect(same.stillFailing.map((c) => c.id)).toEqual(['P2P-01', 'PCS-02']);
    expect(comparisonLines(same, 'base.json')[0]).toBe(
      'against base.json: nothing got worse; 0 improved, 2 still failing',
    );
  });

  it('names what got worse: a pass now failing, an error now failing, a new requirement failing', () => {
    const worse = compareCertificates(
      baseline,
      cert(
        ['P2P-01', 'fail'],
        ['MIG-04', 'fail'],
        ['MIG-05', 'pass'],
        ['MIG-07', 'fail'],
        ['UUID-02', 'error'],
        ['SHU-06', 'skipped'],
      ),
    );
    expect(worse.regressions.map((c) => c.text)).toEqual([
      'MIG-04: pass -> fail: MIG-04 fail',
      'MIG-07: error -> fail: MIG-07 fail',
      'UUID-02: new -> error: UUID-02 error',
    ]);
    expect(worse.improvements.map((c) => c.text)).toEqual(['MIG-05: error -> pass']);
    expect(worse.unjudged.map((c) => c.id)).toEqual(['SHU-06']);
    expect(comparisonLines(worse, 'base.json')[0]).toBe(
      'against base.json: 3 got worse (MIG-04, MIG-07, UUID-02); 1 improved, 1 still failing, 1 no longer judged',
    );
  });

  it('says when a repeated requirement fails more or less often', () => {
    const before = {
      results: [{ id: 'SPICE-06', verdict: 'fail', reason: 'r', repetitions: { failed: 2, of: 5 } }] as never,
    };
    const after = {
      results: [{ id: 'SPICE-06', verdict: 'fail', reason: 'r', repetitions: { failed: 4, of: 5 } }] as never,
    };
    expect(compareCertificates(before, after).stillFailing.map((c) => c.text)).toEqual([
      'SPICE-06 (fail (2 of 5 failed) -> fail (4 of 5 failed))',
    ]);
  });
});
