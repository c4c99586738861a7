import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { verdictLine } from './certificate.ts';
import type { InvariantJudgement, RequirementResult } from './result.ts';
import './result.ts';

/**
 * A vitest reporter in the CLI process: collects each requirement's result (from the
 * test's meta, or from the test's state when the suite could not record one) and prints
 * progress lines while the run goes on.
 */
export class ResultCollector implements Reporter {
  readonly results = new Map<string, RequirementResult>();
  /** Invariants judged on the scenarios of other requirements (foldInvariants adds them in). */
  readonly invariants: InvariantJudgement[] = [];
  private readonly startedAt = Date.now();

  /** `selected`: the requirement IDs of this run; tests filtered out are not reported. */
  constructor(
    private readonly print: (line: string) => void,
    private readonly selected: ReadonlySet<string>,
  ) {}

  onUserConsoleLog(log: { content: string }): void {
    for (const line of log.content.trimEnd().split('\n')) this.print(`${this.elapsed()}   ${line}`);
  }

  onTestCaseReady(testCase: TestCase): void {
    if (!this.selected.has(idOf(testCase))) return;
    this.print(`${this.elapsed()} ${testCase.name} ...`);
  }

  onTestCaseResult(testCase: TestCase): void {
    if (!this.selected.has(idOf(testCase))) return;
    this.invariants.push(...(testCase.meta().cutoverInvariants ?? []));
    const result = resultOf(testCase);
    this.results.set(result.id, result);
    this.print(`${this.elapsed()} ${verdictLine(result)}`);
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<{ message?: string }>): void {
    for (const e of errors) this.print(`${this.elapsed()} harness error outside any test: ${e.message ?? 'unknown'}`);
  }

  private elapsed(): string {
    return `[${((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(5)}s]`;
  }
}

function resultOf(testCase: TestCase): RequirementResult {
  const recorded = testCase.meta().cutover;
  const state = testCase.result();
  const durationMs = Math.round(testCase.diagnostic()?.duration ?? 0);
  const id = recorded?.id ?? idOf(testCase);
  if (state.state === 'skipped') {
    return {
      id,
      verdict: 'skipped',
      reason: state.note ?? recorded?.reason ?? 'skipped without a reason',
      durationMs,
      measurements: {},
      evidence: [],
    };
  }
  if (recorded) return recorded;
  // The test ended without recording a verdict: the harness itself failed.
  const error = state.state === 'failed' ? state.errors?.[0]?.message : undefined;
  return {
    id,
    verdict: 'error',
    reason: error ?? `no verdict recorded (state ${state.state})`,
    durationMs,
    measurements: {},
    evidence: [],
  };
}

/** Suite tests are named "<ID> <title>". */
function idOf(testCase: TestCase): string {
  return testCase.name.split(' ')[0] ?? testCase.name;
}
