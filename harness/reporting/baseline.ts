import { readFile } from 'node:fs/promises';
import type { VerdictKind } from '../judging/verdict.ts';
import { UsageError } from '../util/errors.ts';
import type { Certificate } from './certificate.ts';

// CI gating: a run compared with a baseline certificate fails only for what got worse, so a
// known failure (libvirt 9.0's P2P deadlock) does not block every landing, and a new one does.

type Judged = Pick<Certificate['results'][number], 'id' | 'verdict' | 'reason'> & {
  readonly repetitions?: { readonly failed: number; readonly of: number };
};

export interface Change {
  readonly id: string;
  readonly before?: VerdictKind;
  readonly after: VerdictKind;
  readonly text: string;
}

export interface Comparison {
  /** Got worse: passed, skipped or absent before, fails or errors now (or errored before and fails now). */
  readonly regressions: ReadonlyArray<Change>;
  readonly improvements: ReadonlyArray<Change>;
  readonly stillFailing: ReadonlyArray<Change>;
  /** Judged and passing before, no longer judged now (skipped, not implemented): listed, not failed. */
  readonly unjudged: ReadonlyArray<Change>;
}

const bad = (v: VerdictKind | undefined): boolean => v === 'fail' || v === 'error';

/** A verdict as a reviewer reads it: "fail", or "fail (2 of 5)" for a repeated requirement. */
const shown = (r: Judged): string =>
  `${r.verdict}${r.repetitions && r.repetitions.of > 1 ? ` (${r.repetitions.failed} of ${r.repetitions.of} failed)` : ''}`;

export function compareCertificates(
  baseline: Pick<Certificate, 'results'>,
  current: Pick<Certificate, 'results'>,
): Comparison {
  const before = new Map<string, Judged>(baseline.results.map((r) => [r.id, r]));
  const out = {
    regressions: [] as Change[],
    improvements: [] as Change[],
    stillFailing: [] as Change[],
    unjudged: [] as Change[],
  };
  for (const now of current.results as ReadonlyArray<Judged>) {
    const was = before.get(now.id);
    const change = (text: string): Change => ({
      id: now.id,
      ...(was && { before: was.verdict }),
      after: now.verdict,
      text,
    });
    const transition = `${was ? shown(was) : 'new'} -> ${shown(now)}`;
    if (bad(now.verdict) && (!bad(was?.verdict) || (was?.verdict === 'error' && now.verdict === 'fail')))
      out.regressions.push(change(`${now.id}: ${transition}: ${now.reason}`));
    else if (bad(now.verdict)) {
      const moved = was && shown(was) !== shown(now) ? ` (${transition})` : '';
      out.stillFailing.push(change(`${now.id}${moved}`));
    } else if (bad(was?.verdict) && now.verdict === 'pass') out.improvements.push(change(`${now.id}: ${transition}`));
    else if (was?.verdict === 'pass' && (now.verdict === 'skipped' || now.verdict === 'not-implemented'))
      out.unjudged.push(change(`${now.id}: ${transition}: ${now.reason}`));
  }
  return out;
}

/** The comparison in a few lines, the first of which says it all. */
export function comparisonLines(c: Comparison, baselineName: string): string[] {
  const head = c.regressions.length
    ? `against ${baselineName}: ${c.regressions.length} got worse (${c.regressions.map((r) => r.id).join(', ')})`
    : `against ${baselineName}: nothing got worse`;
  const counts = [
    `${c.improvements.length} improved`,
    `${c.stillFailing.length} still failing`,
    ...(c.unjudged.length ? [`${c.unjudged.length} no longer judged`] : []),
  ];
  return [
    `${head}; ${counts.join(', ')}`,
    ...c.regressions.map((r) => `  worse:          ${r.text}`),
    ...c.improvements.map((r) => `  improved:       ${r.text}`),
    ...c.stillFailing.map((r) => `  still failing:  ${r.text}`),
    ...c.unjudged.map((r) => `  not judged now: ${r.text}`),
  ];
}

/** A certificate file, or one line that says why it is not one. */
export async function readCertificate(file: string): Promise<Certificate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read certificate ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'give the certificate.json of an earlier run',
    );
  }
  try {
    const parsed = JSON.parse(text) as Certificate;
    if (
      !Array.isArray(parsed.results) ||
      !parsed.results.every((r) => typeof r.id === 'string' && typeof r.verdict === 'string')
    )
      throw new Error('it has no results');
    return parsed;
  } catch (err) {
    throw new UsageError(`${file}: not a cutover certificate (${(err as Error).message.split('\n')[0]})`);
  }
}
