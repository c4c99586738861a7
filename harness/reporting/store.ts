import { existsSync } from 'node:fs';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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

/** Writes a played scenario into its folder; returns the observation, evidence listed. */
export async function storeScenario(
  dir: string,
  history: ReadonlyArray<HistoryEntry>,
  files: ReadonlyArray<{ readonly label: string; readonly path: string }>,
): Promise<Observation> {
  await makeDirectory(dir);
  await writeFile(join(dir, HISTORY_FILE), historyToJsonl(history));
  const evidence: Array<{ label: string; path: string }> = [];
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
 * A stored scenario's observation, derived again from its history: `path` is the scenario's
 * folder, its history.jsonl, or its observation.json (used when there is no history).
 */
export async function readStoredObservation(path: string): Promise<Observation> {
  const isDir = (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
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
