import type { Observation } from '../observation/types.ts';

/** Every verdict a requirement can get, in the order reports list them. */
export const VERDICT_KINDS = ['pass', 'fail', 'skipped', 'error', 'not-implemented'] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

export interface Verdict {
  /** 'skipped': what was observed shows the requirement cannot apply here (an old QEMU). */
  readonly verdict: 'pass' | 'fail' | 'skipped';
  readonly reason: string;
  readonly measurements: Readonly<Record<string, number>>;
}

/** Decides one requirement from an observation, and nothing else. */
export type Judge = (observation: Observation) => Verdict;

/**
 * The observation lacks what the judge needs because of how it was made (a scenario without
 * the step, a harness fault): that is an error of the harness, never a pass or a fail.
 */
export class CannotJudge extends Error {
  override name = 'CannotJudge';
}

/** Premises of the requirement that cutover did not create: it cannot be judged, and this names them. */
export class PremiseMissing extends CannotJudge {
  override name = 'PremiseMissing';
  constructor(readonly premises: ReadonlyArray<{ readonly id: string; readonly text: string; readonly why: string }>) {
    super(
      `premise${premises.length > 1 ? 's' : ''} not met: ${premises.map((p) => `${p.id} (${p.text}): ${p.why}`).join('; ')}`,
    );
  }
}

/**
 * What the judge had to look at was taken away by the implementation itself (it ended the
 * guest whose memory was to be read): the requirement failed, and this says how.
 */
export class Failed extends Error {
  override name = 'Failed';
}

export const pass = (reason: string, measurements: Record<string, number> = {}): Verdict => ({
  verdict: 'pass',
  reason,
  measurements,
});
export const skipped = (reason: string, measurements: Record<string, number> = {}): Verdict => ({
  verdict: 'skipped',
  reason,
  measurements,
});
export const fail = (reason: string, measurements: Record<string, number> = {}): Verdict => ({
  verdict: 'fail',
  reason,
  measurements,
});

/** A judge's verdict on an observation, with evidence the implementation took away counted as a fail. */
export function run(judge: Judge, observation: Observation): Verdict {
  try {
    return judge(observation);
  } catch (err) {
    if (err instanceof Failed) return fail(err.message);
    throw err;
  }
}
