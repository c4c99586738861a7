import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { combineInvariant, combineRepetitions, decide, judgeRequirement, JUDGES } from '../judging/index.ts';
import { findRequirement } from '../requirements/catalog.ts';
import { CannotJudge } from '../judging/verdict.ts';
import {
  certify,
  conformanceLines,
  exitCodeFor,
  summaryLine,
  verdictLine,
  type Certificate,
} from '../reporting/certificate.ts';
import type { Observation } from '../observation/types.ts';
import { readCertificate } from '../reporting/baseline.ts';
import type { RequirementResult } from '../reporting/result.ts';
import { readStoredObservation } from '../reporting/store.ts';
import { UsageError } from '../util/errors.ts';
import { say } from './options.ts';

/**
 * `cutover judge PATH`: judges a stored run again from its histories (Jepsen's re-check),
 * printing the verdicts and rebuilding its certificate; or one scenario's folder or file,
 * printing the verdicts of the requirements it judges.
 */
export async function judgeCommand(path: string): Promise<number> {
  const where = resolve(path);
  if (!existsSync(where))
    throw new UsageError(
      `${path}: no such file or folder`,
      'give a run folder (reports/latest), one of its scenario folders, or an observation.json',
    );
  const isDir = (await stat(where)).isDirectory();
  if (isDir && existsSync(join(where, 'certificate.json'))) return judgeRun(where);
  return judgeScenario(where);
}

async function judgeRun(dir: string): Promise<number> {
  const file = join(dir, 'certificate.json');
  const certificate = await readCertificate(file);
  const results: Array<Omit<RequirementResult, 'versions' | 'accelerator'>> = [];
  for (const stored of certificate.results) {
    const result = stored.scenarios?.length ? await judgeAgain(dir, stored) : stored;
    results.push(result);
    say(verdictLine(result));
  }
  const rebuilt: Certificate = { ...certificate, ...certify(results) };
  await writeFile(file, `${JSON.stringify(rebuilt, null, 2)}\n`);
  say(`\n${summaryLine(rebuilt.summary)}`);
  for (const line of conformanceLines(rebuilt.conformance)) say(line);
  say(`certificate rebuilt: ${file}`);
  return exitCodeFor(rebuilt);
}

/** One requirement judged again on its scenarios' stored histories, repetition by repetition (skips by precondition keep their reason). */
async function judgeAgain(
  dir: string,
  stored: Omit<RequirementResult, 'versions' | 'accelerator'>,
): Promise<Omit<RequirementResult, 'versions' | 'accelerator'>> {
  if (findRequirement(stored.id)?.everyMigration) {
    const parts = await Promise.all(
      (stored.scenarios ?? []).map(async (name) => ({
        label: name,
        judgement: judgeRequirement(stored.id, [await readStoredObservation(join(dir, 'scenarios', name))]),
      })),
    );
    const { verdict, reason, measurements } = combineInvariant(parts);
    return { ...stored, verdict, reason, measurements };
  }
  const groups = stored.repetitions?.runs.map((r) => r.scenarios) ?? [stored.scenarios ?? []];
  const runs = await Promise.all(
    groups.map(async (names) =>
      judgeRequirement(
        stored.id,
        await Promise.all(names.map((name) => readStoredObservation(join(dir, 'scenarios', name)))),
      ),
    ),
  );
  const { judgement, failed, of } = combineRepetitions(runs);
  return {
    ...stored,
    verdict: judgement.verdict,
    reason: judgement.reason,
    measurements: judgement.measurements,
    ...(stored.repetitions && {
      repetitions: {
        failed,
        of,
        runs: runs.map((r, i) => ({ verdict: r.verdict, reason: r.reason, scenarios: groups[i] ?? [] })),
      },
    }),
  };
}

async function judgeScenario(path: string): Promise<number> {
  return printScenarioVerdicts(await readStoredObservation(path), '') ? 1 : 0;
}

/** Judges every requirement a scenario names on its observation; prints each; returns how many failed or errored. */
export function printScenarioVerdicts(observation: Observation, indent: string): number {
  let failed = 0;
  for (const id of observation.scenario.judges) {
    if (!JUDGES[id]) {
      say(`${indent}SKIP  ${id}: no check for it in this version`);
      continue;
    }
    try {
      const verdict = decide(id, observation);
      if (verdict.verdict === 'fail') failed++;
      say(indent + verdictLine({ id, ...verdict }));
    } catch (err) {
      failed++;
      say(
        indent +
          verdictLine({
            id,
            verdict: 'error',
            reason: `${err instanceof CannotJudge ? 'cannot judge: ' : ''}${(err as Error).message}`,
          }),
      );
    }
  }
  return failed;
}
