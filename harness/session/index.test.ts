// A scenario cutover fails to finish keeps its folder: what was recorded up to the failure,
// the evidence files, a timeline, and error.txt; it is never read as a result. Played on
// process hosts with a driver whose guests exist only on paper (no QEMU).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { historyFromJsonl } from '../observation/history.ts';
import { readStoredObservation } from '../reporting/store.ts';
import { parseScenario } from '../scenario/load.ts';
import { UsageError } from '../util/errors.ts';
import { openSession, UnfinishedScenario, type Session } from './index.ts';

const SCENARIO = `
name: paper-migration
description: a migration the driver cannot make
judges: [MIG-08]
hosts: { alpha: {}, beta: {} }
guest: { on: alpha }
steps:
  - do: start
  - do: observe
    for: 200ms
  - do: migrate
    to: beta
  - do: observe
    for: 200ms
`;

describe('a scenario cutover fails to finish', () => {
  let session: Session | undefined;
  let dir = '';
  afterEach(async () => {
    await session?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps what it recorded, says where it failed in error.txt, and is not judged', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-session-'));
    session = openSession(
      {
        driver: join(import.meta.dirname, 'fixtures/fails-at-migrate.ts'),
        hosts: { kind: 'process', image: 'bookworm' },
        accel: 'tcg',
      },
      { storeDir: dir, progress: () => {} },
    );
    const loaded = parseScenario(SCENARIO, join(dir, 'paper-migration.yaml'), () => true);
    const failure = await session.play(loaded).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(UnfinishedScenario);
    const { folder, evidence, message } = failure as UnfinishedScenario;
    expect(folder).toBe(join(dir, 'scenarios', 'paper-migration'));
    expect(message).toBe('step 2 (migrate): the driver lost track of its own guest');

    const error = readFileSync(join(folder, 'error.txt'), 'utf8');
    expect(error).toMatch(/^cutover failed during step 2 \(migrate\) \(last entry of the history at [\d.]+ s\):\n/);
    expect(error).toContain('the driver lost track of its own guest');
    expect(error).toContain('at Object.migrate'); // the stack, for whoever fixes it
    // The history as far as it went: its beginning and the steps played, no end.
    const history = historyFromJsonl(readFileSync(join(folder, 'history.jsonl'), 'utf8'));
    expect(history[0]?.type).toBe('begin');
    expect(history.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.outcome : ''))).toEqual([
      'ok',
      'ok',
    ]);
    expect(history.some((e) => e.type === 'migrate')).toBe(true);
    expect(history.some((e) => e.type === 'end')).toBe(false);
    // The driver's files (both sides started), the timeline; no observation for judges to read.
    expect(evidence.map((e) => e.path)).toEqual([
      'error.txt',
      'history.jsonl',
      'paper-source.log',
      'paper-destination.log',
      'timeline.svg',
    ]);
    for (const file of evidence) expect(existsSync(join(folder, file.path)), file.path).toBe(true);
    expect(existsSync(join(folder, 'observation.json'))).toBe(false);
    await expect(readStoredObservation(folder)).rejects.toThrow(UsageError);
    await expect(readStoredObservation(join(folder, 'history.jsonl'))).rejects.toThrow(
      /a scenario cutover did not finish \(error\.txt: cutover failed during step 2 \(migrate\)/,
    );
  });
});
