import { existsSync } from 'node:fs';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SIDES } from '../drivers/vocabulary.ts';
import { deriveObservation, MAIN_GUEST } from '../observation/derive.ts';
import { HISTORY_FORMAT, historyFromJsonl, historyToJsonl, type HistoryEntry } from '../observation/history.ts';
import type { Observation } from '../observation/types.ts';
import { UsageError } from '../util/errors.ts';
import { makeDirectory } from '../util/fs.ts';
import { renderTimeline } from './timeline.ts';

// A scenario's folder in a run's store (Jepsen's store/<test>/<time>/): the history first,
// then what is derived from it: the observation, the timeline, the serial timing, and the
// evidence files. `cutover judge` reads the history back and judges it again.

export const HISTORY_FILE = 'history.jsonl';
export const OBSERVATION_FILE = 'observation.json';
/** In a scenario's folder: cutover failed to finish it, and says where and why. */
export const ERROR_FILE = 'error.txt';

type Evidence = { readonly label: string; readonly path: string };

/** Writes a played scenario into its folder; returns the observation, evidence listed. */
export async function storeScenario(
  dir: string,
  history: ReadonlyArray<HistoryEntry>,
  files: ReadonlyArray<Evidence>,
): Promise<Observation> {
  await makeDirectory(dir);
  await writeFile(join(dir, HISTORY_FILE), historyToJsonl(history));
  const evidence = await copyEvidence(dir, history, files);
  const observation: Observation = {
    ...deriveObservation(history),
    evidence: [
      ...evidence,
      { label: 'Timeline', path: 'timeline.svg' },
      { label: 'History', path: HISTORY_FILE },
      { label: 'Observation', path: OBSERVATION_FILE },
    ],
  };
  await writeFile(join(dir, 'timeline.svg'), renderTimeline(observation));
  await writeFile(join(dir, OBSERVATION_FILE), JSON.stringify(observation, null, 2));
  return observation;
}

/**
 * Writes a scenario cutover failed to finish: its history as far as it went (no 'end' entry),
 * the evidence files, the timeline where one can be drawn, and error.txt saying where and what
 * failed. No observation.json: judges never read an unfinished scenario. Returns what it wrote.
 */
export async function storeUnfinishedScenario(
  dir: string,
  history: ReadonlyArray<HistoryEntry>,
  files: ReadonlyArray<Evidence>,
  failure: { readonly during: string; readonly error: unknown },
): Promise<Evidence[]> {
  await makeDirectory(dir);
  await writeFile(join(dir, ERROR_FILE), errorReport(history, failure));
  const evidence: Evidence[] = [{ label: 'What cutover failed at', path: ERROR_FILE }];
  if (history.length) {
    await writeFile(join(dir, HISTORY_FILE), historyToJsonl(history));
    evidence.push({ label: 'History (unfinished)', path: HISTORY_FILE });
  }
  evidence.push(...(await copyEvidence(dir, history, files)));
  // Drawn from what was recorded; a history that never began (no hosts, no driver) has none.
  const timeline = history.some((e) => e.type === 'begin')
    ? renderTimeline({ ...deriveObservation(history), evidence })
    : undefined;
  if (timeline !== undefined) {
    await writeFile(join(dir, 'timeline.svg'), timeline);
    evidence.push({ label: 'Timeline (unfinished)', path: 'timeline.svg' });
  }
  return evidence;
}

/** error.txt: what failed, where in the scenario, and that the folder is no result. */
function errorReport(history: ReadonlyArray<HistoryEntry>, failure: { during: string; error: unknown }): string {
  const { error } = failure;
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  const t = history.at(-1)?.t;
  return [
    `cutover failed during ${failure.during}${t !== undefined ? ` (last entry of the history at ${(t / 1000).toFixed(1)} s)` : ''}:`,
    text,
    '',
    'This folder keeps what was recorded up to then; it is no result, and `cutover judge` does not judge it.',
    '',
    cause instanceof Error && cause.stack ? cause.stack : text,
    '',
  ].join('\n');
}

/** The serial timings written, and the evidence files copied, into the scenario's folder. */
async function copyEvidence(
  dir: string,
  history: ReadonlyArray<HistoryEntry>,
  files: ReadonlyArray<Evidence>,
): Promise<Evidence[]> {
  const evidence: Evidence[] = [];
  for (const serial of serialTimings(history)) {
    await writeFile(join(dir, serial.file), serial.text);
    evidence.push({ label: serial.label, path: serial.file });
  }
  for (const file of files) {
    const name = basename(file.path);
    if (evidence.some((e) => e.path === name)) continue;
    if (
      await copyFile(file.path, join(dir, name)).then(
        () => true,
        () => false,
      )
    )
      evidence.push({ label: file.label, path: name });
  }
  return evidence;
}

/**
 * A stored scenario's observation, derived again from its history: `path` is the scenario's
 * folder, its history.jsonl, or its observation.json (used when there is no history). A
 * scenario cutover failed to finish (error.txt) is refused: its history is evidence, no result.
 */
export async function readStoredObservation(path: string): Promise<Observation> {
  const isDir = (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
  const failed = join(isDir ? path : dirname(path), ERROR_FILE);
  if (existsSync(failed)) {
    const said = (await readFile(failed, 'utf8')).split('\n').slice(0, 2).join(' ');
    throw new UsageError(`${path}: a scenario cutover did not finish (${ERROR_FILE}: ${said})`, 'play it again');
  }
  const historyPath = isDir ? join(path, HISTORY_FILE) : path.endsWith('.jsonl') ? path : undefined;
  const observationPath = isDir ? join(path, OBSERVATION_FILE) : path.endsWith('.json') ? path : undefined;
  if (historyPath && existsSync(historyPath)) {
    const entries = historyFromJsonl(await readFile(historyPath, 'utf8'));
    const begin = entries.find((e) => e.type === 'begin');
    if (!begin || begin.format !== HISTORY_FORMAT) {
      throw new UsageError(
        `${historyPath}: a history of format ${String(begin?.format ?? 'unknown')}; this cutover reads format ${HISTORY_FORMAT}`,
      );
    }
    const stored =
      observationPath && existsSync(observationPath)
        ? await readObservationFile(observationPath).catch(() => undefined)
        : undefined;
    return { ...deriveObservation(entries), evidence: stored?.evidence ?? [] };
  }
  if (observationPath && existsSync(observationPath)) return readObservationFile(observationPath);
  throw new UsageError(
    `${path}: no ${HISTORY_FILE} or ${OBSERVATION_FILE} there`,
    'give a run folder, one of its scenario folders, or an observation.json',
  );
}

async function readObservationFile(path: string): Promise<Observation> {
  let parsed: { format?: unknown };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as { format?: unknown };
  } catch (err) {
    throw new UsageError(`${path}: not readable JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (parsed.format !== HISTORY_FORMAT) {
    throw new UsageError(
      `${path}: an observation of format ${String(parsed.format ?? 1)}; this cutover reads format ${HISTORY_FORMAT}`,
      'play the scenario again with this version',
    );
  }
  return parsed as Observation;
}

/** The guest's serial output per side, as "time<TAB>char" files (evidence people can read). */
function serialTimings(history: ReadonlyArray<HistoryEntry>): Array<{ file: string; label: string; text: string }> {
  const out: Array<{ file: string; label: string; text: string }> = [];
  const guests = [...new Set(history.flatMap((e) => (e.type === 'progress' ? [e.guest] : [])))];
  for (const guest of guests) {
    for (const side of SIDES) {
      const lines: string[] = [];
      for (const e of history) {
        if (e.type !== 'progress' || e.guest !== guest || e.side !== side) continue;
        for (const ch of e.text) lines.push(`${e.t.toFixed(3)}\t${ch}`);
      }
      if (!lines.length) continue;
      const main = guest === MAIN_GUEST;
      out.push({
        file: main ? `serial-${side}.tsv` : `serial-${guest}-${side}.tsv`,
        label: `Serial timing (${main ? '' : `${guest}, `}${side})`,
        text: `t_ms\tchar\n${lines.join('\n')}\n`,
      });
    }
  }
  return out;
}
