import { describe, expect, it } from 'vitest';
import type { VerdictKind } from '../judging/verdict.ts';
import { buildCertificate, conformanceOf, exitCodeFor, summaryLine } from './certificate.ts';
import type { RequirementResult } from './result.ts';

const result = (id: string, verdict: VerdictKind, reason = 'because'): RequirementResult => ({
  id,
  verdict,
  reason,
  durationMs: 1,
  measurements: {},
  evidence: [],
});

const certificate = (results: RequirementResult[]) =>
  buildCertificate({
    version: '0.1.0',
    sut: { driver: 'qemu', hosts: 'process', versions: {} },
    startedAt: new Date(0),
    finishedAt: new Date(1),
    results,
  });

describe('certificate', () => {
  it("carries each requirement's behaviour and source from the catalogue", () => {
    const [mig06] = certificate([result('MIG-06', 'pass')]).results;
    expect(mig06).toMatchObject({
      family: 'mig',
      behaviour: expect.stringMatching(/migrate_cancel while active/),
      source: expect.stringMatching(/qapi\/migration\.json/),
    });
  });

  it('says conformance per family and overall: a fail is non-conformant, an error undecided, skips and not-implemented partial', () => {
    expect(conformanceOf([result('MIG-01', 'pass')])).toBe('conformant');
    expect(conformanceOf([result('MIG-01', 'pass'), result('MIG-02', 'skipped')])).toBe('partial');
    expect(conformanceOf([result('V3-01', 'not-implemented')])).toBe('partial');
    expect(conformanceOf([result('MIG-01', 'error'), result('MIG-02', 'skipped')])).toBe('undecided');
    expect(conformanceOf([result('MIG-01', 'fail'), result('MIG-02', 'error')])).toBe('non-conformant');
    const c = certificate([
      result('MIG-01', 'pass'),
      result('PCS-05', 'fail'),
      result('PCS-01', 'pass'),
      result('V3-01', 'not-implemented'),
    ]);
    expect(c.conformance.overall).toBe('non-conformant');
    expect(c.conformance.families.map((f) => [f.family, f.conformance])).toEqual([
      ['mig', 'conformant'],
      ['pcs', 'non-conformant'],
      ['v3', 'partial'],
    ]);
    expect(c.conformance.families.find((f) => f.family === 'pcs')?.failed).toEqual(['PCS-05']);
    expect(c.conformance.families.find((f) => f.family === 'v3')?.notJudged).toEqual(['V3-01']);
    expect(summaryLine(c.summary)).toBe('cutover: 2 passed, 1 failed, 0 skipped, 0 errored, 1 not implemented');
  });

  it('exits 1 only for a fail, an error, or a skip without a reason', () => {
    expect(
      exitCodeFor(
        certificate([result('MIG-01', 'pass'), result('V3-01', 'not-implemented'), result('SHU-06', 'skipped')]),
      ),
    ).toBe(0);
    expect(exitCodeFor(certificate([result('MIG-01', 'pass'), result('MIG-02', 'error')]))).toBe(1);
    expect(exitCodeFor(certificate([result('MIG-01', 'fail')]))).toBe(1);
    expect(exitCodeFor(certificate([result('SHU-06', 'skipped', ' ')]))).toBe(1);
  });
});
