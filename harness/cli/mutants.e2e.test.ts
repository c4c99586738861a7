// The mutation matrix, end to end: `cutover mutants` plays every requirement on the correct
// emulated target (both drivers) and on every bug variant. Each requirement the emulated
// target can play must pass there and fail on at least one variant; what it cannot play yet
// is this list, with the reason, so a requirement that drops out is noticed.
// The matrix runs in the fast configuration (`--jobs 2 --time-scale 10`, as `cutover run`'s
// fast emulated run); what that clock cannot judge is played again on the wall clock.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cutover, runningProcesses } from './e2e-helpers.ts';

/** Not played on the emulated target yet, and why. */
const NOT_EMULATED: Record<string, string> = {};

/** Not judged on a clock 10 times the wall's, and why: the wall-clock matrix below plays them. */
const NOT_FAST: Record<string, string> = {
  'MIG-05': "the machine's lag allowance widens to 1.8 s at x10, beyond the 300 ms downtime limit",
};

interface Row {
  id: string;
  correct?: { verdict: string; reason: string };
  state: string;
  killedBy: string[];
}

const out = await mkdtemp(join(tmpdir(), 'cutover-mutants-'));
// Kept when a test failed: its histories are the evidence (`cutover judge` re-checks them).
let failed = 0;
afterAll(() => (failed ? undefined : rm(out, { recursive: true, force: true })));

/** `cutover mutants` with these options; its matrix, checked: nothing survived, no false alarm. */
async function matrix(dir: string, options: string[]): Promise<Row[]> {
  const run = await cutover(['mutants', '--out', join(out, dir), ...options]);
  expect(run.stdout, run.stdout + run.stderr).toMatch(
    /^\d+ requirements: \d+ killed, 0 survived, 0 false-alarm, \d+ not-judged$/m,
  );
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const rows = JSON.parse(await readFile(join(out, dir, 'latest', 'mutation-matrix.json'), 'utf8')) as Row[];
  for (const row of rows.filter((r) => r.state !== 'not-judged'))
    expect(row.killedBy.length, row.id).toBeGreaterThan(0);
  expect(runningProcesses(/node/, (cmd) => cmd.includes('cutover-emulator/'))).toBe(0);
  return rows;
}

const notJudged = (rows: ReadonlyArray<Row>): string[] =>
  rows
    .filter((r) => r.state === 'not-judged')
    .map((r) => r.id)
    .sort();

describe('cutover mutants', () => {
  it('fast (--jobs 2 --time-scale 10): every requirement the emulated target plays passes there and is killed by a bug variant', async () => {
    failed++;
    const rows = await matrix('fast', ['--concurrency', '2', '--jobs', '2', '--time-scale', '10']);
    expect(notJudged(rows)).toEqual(Object.keys({ ...NOT_EMULATED, ...NOT_FAST }).sort());
    for (const id of Object.keys(NOT_FAST))
      expect(rows.find((r) => r.id === id)?.correct?.reason).toMatch(/judged without --time-scale/);
    failed--;
  }, 1_200_000);

  it('wall clock: what the fast clock cannot judge passes on the correct target and is killed by a bug variant', async () => {
    failed++;
    const rows = await matrix('wall', ['--requirement', Object.keys(NOT_FAST).join(','), '--concurrency', '3']);
    expect(notJudged(rows)).toEqual([]);
    expect(rows.map((r) => r.id).sort()).toEqual(Object.keys(NOT_FAST).sort());
    failed--;
  }, 600_000);
});
