// One requirement's result as the certificate states it. Suites attach it to their vitest
// task (task.meta.cutover); the reporter in the CLI process collects it.

import type { Judgement } from '../judging/index.ts';
import type { VerdictKind } from '../judging/verdict.ts';

/** How an error's reason begins when cutover itself could not play a scenario (nothing was judged). */
export const CUTOVER_COULD_NOT_RUN = 'harness could not run';

export interface RequirementResult {
  readonly id: string;
  readonly verdict: VerdictKind;
  readonly reason: string;
  readonly durationMs: number;
  readonly measurements: Readonly<Record<string, number>>;
  /** Paths relative to the run folder. */
  readonly evidence: ReadonlyArray<string>;
  /** The scenarios it was judged on (their folders under scenarios/), so it can be judged again. */
  readonly scenarios?: ReadonlyArray<string>;
  /** Played more than once: how many repetitions failed, and each one's verdict and scenarios. */
  readonly repetitions?: Repetitions;
  /** Component versions the observation saw, e.g. { qemu: '7.2.22' }. */
  readonly versions?: Readonly<Record<string, string>>;
  readonly accelerator?: string;
}

export interface Repetitions {
  readonly failed: number;
  readonly of: number;
  readonly runs: ReadonlyArray<{
    readonly verdict: VerdictKind;
    readonly reason: string;
    readonly scenarios: ReadonlyArray<string>;
  }>;
}

/** An invariant (MIG-08) judged on a scenario played for another requirement. */
export interface InvariantJudgement {
  readonly id: string;
  /** The scenario's folder under scenarios/. */
  readonly scenario: string;
  readonly judgement: Judgement;
}

declare module 'vitest' {
  interface TaskMeta {
    cutover?: RequirementResult;
    cutoverInvariants?: ReadonlyArray<InvariantJudgement>;
  }
}
