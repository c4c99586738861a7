import type { Judgement } from '../judging/index.ts';
import type { Requirement } from '../requirements/catalog.ts';
import type { PremiseId } from '../requirements/premises.ts';

// The premise matrix, the mutation matrix's twin: each requirement played on the correct
// emulated target (it must pass), then with each of its premises taken away in turn (it must
// not pass: "cannot judge", naming that premise, or skipped). A pass with a premise withdrawn
// is a verdict that stands on nothing.

export const PREMISE_CELL_STATES = {
  held: 'withdrawn, and the requirement could not be judged, naming the premise (or was skipped)',
  passed: 'withdrawn, and the requirement still passed: it stands on nothing',
  unnamed: 'withdrawn, and the requirement was not judged, but the reason does not name the premise',
  judged: 'withdrawn, and the requirement was judged anyway (fail): the withdrawal did not take it away',
  'not-withdrawn': 'the withdrawal does not apply to the scenario, or the play broke',
} as const;
export type PremiseCellState = keyof typeof PREMISE_CELL_STATES;

export interface PremiseCell {
  readonly premise: PremiseId;
  readonly state: PremiseCellState;
  readonly verdict?: Judgement['verdict'];
  readonly reason: string;
}

export interface PremiseRow {
  readonly requirement: Requirement;
  /** The emulated driver it was played on: the first whose correct target passed it. */
  readonly target?: string;
  readonly correct: { readonly verdict: Judgement['verdict'] | 'not-played'; readonly reason: string };
  readonly cells: ReadonlyArray<PremiseCell>;
}

/** How a requirement fared with one premise withdrawn. */
export function cellOf(premise: PremiseId, judgement: Judgement | { readonly error: string }): PremiseCell {
  if ('error' in judgement) return { premise, state: 'not-withdrawn', reason: judgement.error };
  const { verdict, reason } = judgement;
  if (verdict === 'pass') return { premise, state: 'passed', verdict, reason };
  if (verdict === 'skipped') return { premise, state: 'held', verdict, reason };
  if (verdict === 'error') return { premise, state: reason.includes(premise) ? 'held' : 'unnamed', verdict, reason };
  return { premise, state: 'judged', verdict, reason };
}

/** What is wrong with the matrix, one line each: empty when every premise held its requirement up. */
export function premiseProblems(rows: ReadonlyArray<PremiseRow>): string[] {
  // Skipped on the correct target: the emulated target cannot play it here (MIG-05 on a faster
  // clock); listed in the table, played where it can be.
  return rows.flatMap((row) => [
    ...(row.correct.verdict === 'pass' || row.correct.verdict === 'skipped'
      ? []
      : [`${row.requirement.id} does not pass on the correct target (${row.correct.verdict}): ${row.correct.reason}`]),
    ...row.cells
      .filter((c) => c.state !== 'held')
      .map((c) => `${row.requirement.id} with ${c.premise} withdrawn: ${PREMISE_CELL_STATES[c.state]}: ${c.reason}`),
  ]);
}

const MARK: Readonly<Record<PremiseCellState, string>> = {
  held: 'error',
  passed: 'PASS!',
  unnamed: 'error, premise unnamed',
  judged: 'judged',
  'not-withdrawn': 'not withdrawn',
};

/** The table: a requirement per line, its correct verdict, then each premise withdrawn and what came of it. */
export function premiseTable(rows: ReadonlyArray<PremiseRow>): string[] {
  const width = Math.max(8, ...rows.map((r) => r.requirement.id.length));
  const lines = [`${'REQ'.padEnd(width)}  ${'correct'.padEnd(8)} premise withdrawn -> verdict`];
  for (const row of rows) {
    const cells = row.cells.map(
      (c) => `${c.premise} -> ${c.state === 'held' && c.verdict === 'skipped' ? 'skipped' : MARK[c.state]}`,
    );
    lines.push(
      `${row.requirement.id.padEnd(width)}  ${row.correct.verdict.padEnd(8)} ${cells.join('; ')}${row.target ? `  [${row.target}]` : ''}`,
    );
  }
  const cells = rows.flatMap((r) => r.cells);
  const held = cells.filter((c) => c.state === 'held').length;
  const correct = rows.filter((r) => r.correct.verdict === 'pass').length;
  lines.push(
    `${rows.length} requirements, ${correct} pass on the correct target; ${cells.length} premises withdrawn: ${held} not judged (naming the premise), ${cells.filter((c) => c.state === 'passed').length} passed, ${cells.length - held - cells.filter((c) => c.state === 'passed').length} otherwise`,
  );
  return lines;
}
