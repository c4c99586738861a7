import { VERDICT_KINDS, type VerdictKind } from '../judging/verdict.ts';
import { FAMILIES, FAMILY_NAMES, findRequirement, type Family } from '../requirements/catalog.ts';
import type { RequirementResult } from './result.ts';

// certificate.json: the summary a CI gate or a reviewer trusts. Its shape is a contract:
// every catalogued requirement of the families run is in it, with its verdict, the behaviour
// it judged and where that is documented, and a conformance per family and overall.

/** One requirement as certified: its result, and what it is. */
export interface CertifiedResult extends Omit<RequirementResult, 'versions' | 'accelerator'> {
  readonly family: Family;
  readonly title: string;
  readonly behaviour: string;
  readonly source: string;
  /** What must have happened for it to be judged (its premises, as `id: text`). */
  readonly premises: ReadonlyArray<string>;
}

/**
 * conformant: every requirement passed; partial: no failure, but some skipped or not
 * implemented (listed); non-conformant: any failed; undecided: no failure, but cutover itself
 * could not decide some (errors): never read as a pass.
 */
export const CONFORMANCE = ['conformant', 'partial', 'non-conformant', 'undecided'] as const;
export type Conformance = (typeof CONFORMANCE)[number];

export interface FamilyConformance {
  readonly family: Family;
  readonly title: string;
  readonly conformance: Conformance;
  readonly summary: Readonly<Record<VerdictKind, number>>;
  /** Requirements not judged here (skipped, not implemented) and those that failed or errored, by ID. */
  readonly notJudged: ReadonlyArray<string>;
  readonly failed: ReadonlyArray<string>;
  readonly errored: ReadonlyArray<string>;
}

export interface Certificate {
  readonly tool: { readonly name: 'cutover'; readonly version: string };
  readonly sut: {
    readonly driver: string;
    readonly hosts: string;
    /** The container image of the hosts, when they are containers. */
    readonly image?: string;
    readonly accelerator?: string;
    /** The run's clock, when faster than the wall's (emulated hosts): its timing allowances are wider. */
    readonly timeScale?: number;
    readonly versions: Readonly<Record<string, string>>;
  };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly summary: Readonly<Record<VerdictKind, number>>;
  readonly conformance: { readonly overall: Conformance; readonly families: ReadonlyArray<FamilyConformance> };
  readonly results: ReadonlyArray<CertifiedResult>;
}

export function buildCertificate(input: {
  version: string;
  sut: Certificate['sut'];
  startedAt: Date;
  finishedAt: Date;
  results: ReadonlyArray<RequirementResult>;
}): Certificate {
  const versions = { ...input.sut.versions };
  for (const r of input.results) Object.assign(versions, r.versions);
  const accelerators = [...new Set(input.results.map((r) => r.accelerator).filter((a): a is string => !!a))];
  return {
    tool: { name: 'cutover', version: input.version },
    sut: { ...input.sut, versions, ...(accelerators.length && { accelerator: accelerators.join(', ') }) },
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    ...certify(input.results.map(({ versions: _v, accelerator: _a, ...rest }) => rest)),
  };
}

/** Summary, conformance and each result's requirement text, from the results alone. */
export function certify(
  results: ReadonlyArray<Omit<RequirementResult, 'versions' | 'accelerator'>>,
): Pick<Certificate, 'summary' | 'conformance' | 'results'> {
  const certified = results.map((r): CertifiedResult => {
    const requirement = findRequirement(r.id);
    if (!requirement) throw new Error(`no requirement ${r.id} in the catalogue`);
    const { family, title, behaviour, source } = requirement;
    return { ...r, family, title, behaviour, source, premises: requirement.premises.map((p) => `${p.id}: ${p.text}`) };
  });
  const families = FAMILY_NAMES.filter((f) => certified.some((r) => r.family === f)).map(
    (family): FamilyConformance => {
      const mine = certified.filter((r) => r.family === family);
      const ids = (...kinds: VerdictKind[]): string[] => mine.filter((r) => kinds.includes(r.verdict)).map((r) => r.id);
      return {
        family,
        title: FAMILIES[family].title,
        conformance: conformanceOf(mine),
        summary: summarize(mine),
        notJudged: ids('skipped', 'not-implemented'),
        failed: ids('fail'),
        errored: ids('error'),
      };
    },
  );
  return {
    summary: summarize(certified),
    conformance: { overall: conformanceOf(certified), families },
    results: certified,
  };
}

export function conformanceOf(results: ReadonlyArray<Pick<RequirementResult, 'verdict'>>): Conformance {
  const has = (kind: VerdictKind): boolean => results.some((r) => r.verdict === kind);
  if (has('fail')) return 'non-conformant';
  if (has('error')) return 'undecided';
  if (has('skipped') || has('not-implemented') || results.length === 0) return 'partial';
  return 'conformant';
}

/** 0 when nothing failed or errored (skips and not-implemented are listed, not failures), else 1. */
export function exitCodeFor(certificate: Pick<Certificate, 'results'>): 0 | 1 {
  const ok = certificate.results.every(
    (r) =>
      r.verdict === 'pass' || r.verdict === 'not-implemented' || (r.verdict === 'skipped' && r.reason.trim() !== ''),
  );
  return ok && certificate.results.length > 0 ? 0 : 1;
}

/** How many requirements got each verdict. */
export function summarize(results: ReadonlyArray<Pick<RequirementResult, 'verdict'>>): Record<VerdictKind, number> {
  const summary = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  for (const r of results) summary[r.verdict]++;
  return summary;
}

/** The line a run (and `cutover judge`) ends with. */
export const summaryLine = (s: Readonly<Record<VerdictKind, number>>): string =>
  `cutover: ${s.pass} passed, ${s.fail} failed, ${s.skipped} skipped, ${s.error} errored, ${s['not-implemented']} not implemented`;

/** Conformance per family and overall, one line each. */
export function conformanceLines(c: Certificate['conformance']): string[] {
  return [
    ...c.families.map(
      (f) =>
        `  ${f.family.padEnd(6)} ${f.conformance}${f.failed.length ? `; failed: ${f.failed.join(', ')}` : ''}${f.errored.length ? `; errored: ${f.errored.join(', ')}` : ''}${f.notJudged.length ? `; not judged here: ${f.notJudged.join(', ')}` : ''}`,
    ),
    `  overall ${c.overall}`,
  ];
}

const MARKS: Record<VerdictKind, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  skipped: 'SKIP',
  error: 'ERROR',
  'not-implemented': 'NOIMP',
};

/** One requirement's verdict as the terminal shows it: "PASS  MIG-01: reason". */
export const verdictLine = (r: Pick<RequirementResult, 'id' | 'verdict' | 'reason'>): string =>
  `${MARKS[r.verdict].padEnd(5)} ${r.id}: ${r.reason}`;
