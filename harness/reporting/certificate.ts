import { VERDICT_KINDS, type VerdictKind } from '../judging/verdict.ts';
import type { RequirementResult } from './result.ts';

// certificate.json: the summary a CI gate or a reviewer trusts. Its shape is a contract.

export interface Certificate {
  readonly tool: { readonly name: 'cutover'; readonly version: string };
  readonly sut: {
    readonly driver: string;
    readonly hosts: string;
    /** The container image of the hosts, when they are containers. */
    readonly image?: string;
    readonly accelerator?: string;
    readonly versions: Readonly<Record<string, string>>;
  };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly summary: Readonly<Record<RequirementResult['verdict'], number>>;
  readonly results: ReadonlyArray<Omit<RequirementResult, 'versions' | 'accelerator'>>;
}

export function buildCertificate(input: {
  version: string;
  sut: Certificate['sut'];
  startedAt: Date;
  finishedAt: Date;
  results: ReadonlyArray<RequirementResult>;
}): Certificate {
  const summary = summarize(input.results);
  const versions = { ...input.sut.versions };
  for (const r of input.results) Object.assign(versions, r.versions);
  const accelerators = [...new Set(input.results.map((r) => r.accelerator).filter((a): a is string => !!a))];
  return {
    tool: { name: 'cutover', version: input.version },
    sut: { ...input.sut, versions, ...(accelerators.length && { accelerator: accelerators.join(', ') }) },
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    summary,
    results: input.results.map(({ versions: _v, accelerator: _a, ...rest }) => rest),
  };
}

/** 0 when every judged requirement passed or was skipped with a reason, else 1. */
export function exitCodeFor(certificate: Certificate): 0 | 1 {
  const ok = certificate.results.every((r) => r.verdict === 'pass' || (r.verdict === 'skipped' && r.reason.trim() !== ''));
  return ok && certificate.results.length > 0 ? 0 : 1;
}

/** How many requirements got each verdict. */
export function summarize(results: ReadonlyArray<Pick<RequirementResult, 'verdict'>>): Record<VerdictKind, number> {
  const summary = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  for (const r of results) summary[r.verdict]++;
  return summary;
}

/** The line a run (and `cutover judge`) ends with. */
export const summaryLine = (s: Readonly<Record<VerdictKind, number>>): string => `${s.pass} passed, ${s.fail} failed, ${s.skipped} skipped, ${s.error} errored`;

/** One requirement's verdict as the terminal shows it: "PASS  MIG-01: reason". */
export const verdictLine = (r: Pick<RequirementResult, 'id' | 'verdict' | 'reason'>): string =>
  `${{ pass: 'PASS', fail: 'FAIL', skipped: 'SKIP', error: 'ERROR' }[r.verdict].padEnd(5)} ${r.id}: ${r.reason}`;
