import { REQUIREMENTS, type Requirement } from '../requirements/catalog.ts';
import type { VerdictKind } from '../judging/verdict.ts';

// The mutation matrix: each requirement's verdict on the correct emulated target, and which
// bug variants made it fail. A requirement that passes on the correct target and that no
// variant makes fail is judged by a check that cannot fail; one that fails on the correct
// target is a false alarm (of the judge or of the emulator). Both are problems.

export interface PlayedResult {
  readonly id: string;
  readonly verdict: VerdictKind;
  readonly reason: string;
}

export interface VariantRun {
  readonly variant: string;
  readonly results: ReadonlyArray<PlayedResult>;
}

/** One emulated target (a driver on emulated hosts): its correct run and its variants' runs. */
export interface TargetRuns {
  readonly target: string;
  readonly correct: ReadonlyArray<PlayedResult>;
  readonly variants: ReadonlyArray<VariantRun>;
}

export const MATRIX_STATES = {
  killed: 'passes on the correct target, fails on a bug variant',
  survived: 'passes on the correct target and on every variant played: its check cannot be seen to fail',
  'false-alarm': 'does not pass on the correct target',
  'not-judged': 'the emulated target cannot play it (skipped), so no variant can kill it either',
} as const;
export type MatrixState = keyof typeof MATRIX_STATES;

export interface MatrixRow {
  readonly requirement: Requirement;
  /** Its verdict on the correct target that judged it (the first that passed it, else the first). */
  readonly correct: PlayedResult | undefined;
  /** The target that verdict is from. */
  readonly target: string | undefined;
  /** Variants (with their target when there are several) that made it fail where it passed. */
  readonly killedBy: ReadonlyArray<string>;
  /** Variants played against it that it passed, or could not judge. */
  readonly survivedBy: ReadonlyArray<string>;
  readonly state: MatrixState;
}

export function mutationMatrix(
  targets: ReadonlyArray<TargetRuns>,
  catalogue: ReadonlyArray<Requirement> = REQUIREMENTS,
): MatrixRow[] {
  const played = new Set(targets.flatMap((t) => t.correct.map((r) => r.id)));
  const named = (variant: string, target: string): string => (targets.length > 1 ? `${variant}@${target}` : variant);
  return catalogue
    .filter((r) => played.has(r.id))
    .map((requirement) => {
      const onTargets = targets.flatMap((t) =>
        t.correct.filter((r) => r.id === requirement.id).map((result) => ({ t, result })),
      );
      const chosen =
        onTargets.find((o) => o.result.verdict === 'pass') ??
        onTargets.find((o) => o.result.verdict !== 'skipped') ??
        onTargets[0];
      // Variants count only where the correct target passed: a fail elsewhere proves nothing.
      const against = onTargets
        .filter((o) => o.result.verdict === 'pass')
        .flatMap(({ t }) =>
          t.variants.flatMap((v) =>
            v.results
              .filter((r) => r.id === requirement.id)
              .map((r) => ({ variant: named(v.variant, t.target), verdict: r.verdict })),
          ),
        );
      const killedBy = against.filter((a) => a.verdict === 'fail').map((a) => a.variant);
      const survivedBy = against.filter((a) => a.verdict !== 'fail').map((a) => a.variant);
      return {
        requirement,
        correct: chosen?.result,
        target: chosen?.t.target,
        killedBy,
        survivedBy,
        state: stateOf(chosen?.result.verdict, killedBy.length > 0),
      };
    });
}

function stateOf(correct: VerdictKind | undefined, killed: boolean): MatrixState {
  if (correct === 'pass') return killed ? 'killed' : 'survived';
  if (correct === 'skipped' || correct === 'not-implemented') return 'not-judged';
  return 'false-alarm';
}

/** What makes the matrix fail: survivors and false alarms. */
export function matrixProblems(rows: ReadonlyArray<MatrixRow>): string[] {
  return rows
    .filter((r) => r.state === 'survived' || r.state === 'false-alarm')
    .map((r) =>
      r.state === 'survived'
        ? `${r.requirement.id}: no bug variant made it fail${r.survivedBy.length ? ` (played against ${r.survivedBy.join(', ')})` : ' (no variant declares it breaks it)'}`
        : `${r.requirement.id}: ${r.correct?.verdict ?? 'not played'} on the correct emulated target: ${r.correct?.reason ?? ''}`,
    );
}

/** The matrix as a table for a terminal: one row per requirement. */
export function matrixTable(rows: ReadonlyArray<MatrixRow>): string[] {
  const cells = rows.map((r) => [
    r.requirement.id,
    r.correct?.verdict ?? '-',
    r.target ?? '-',
    r.state,
    r.state === 'not-judged' ? clip(r.correct?.reason ?? '', 70) : r.killedBy.join(', ') || '-',
  ]);
  const header = ['requirement', 'correct', 'on', 'state', 'killed by (or why not judged)'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: ReadonlyArray<string>): string =>
    c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ');
  const counts = Object.keys(MATRIX_STATES)
    .map((s) => `${rows.filter((r) => r.state === s).length} ${s}`)
    .join(', ');
  return [line(header), ...cells.map(line), `${rows.length} requirements: ${counts}`];
}

const clip = (text: string, n: number): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
