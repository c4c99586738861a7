// The mutation matrix, end to end: `cutover mutants` plays every requirement on the correct
// emulated target (both drivers) and on every bug variant. Each requirement the emulated
// target can play must pass there and fail on at least one variant; what it cannot play yet
// is this list, with the reason, so a requirement that drops out is noticed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cutover, runningProcesses } from './e2e-helpers.ts';

/** Not played on the emulated target yet, and why. */
const NOT_EMULATED: Record<string, string> = {};

const out = await mkdtemp(join(tmpdir(), 'cutover-mutants-'));
// Kept when the test failed: its histories are the evidence (`cutover judge` re-checks them).
let passed = false;
afterAll(() => (passed ? rm(out, { recursive: true, force: true }) : undefined));

describe('cutover mutants', () => {
  it('every requirement the emulated target plays passes there and is killed by a bug variant', async () => {
    const run = await cutover(['mutants', '--out', out, '--concurrency', '3']);
    expect(run.stdout, run.stdout + run.stderr).toMatch(
      /^\d+ requirements: \d+ killed, 0 survived, 0 false-alarm, \d+ not-judged$/m,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = JSON.parse(await readFile(join(out, 'latest', 'mutation-matrix.json'), 'utf8')) as Array<{
      id: string;
      state: string;
      killedBy: string[];
    }>;
    const notJudged = rows
      .filter((r) => r.state === 'not-judged')
      .map((r) => r.id)
      .sort();
    expect(notJudged).toEqual(Object.keys(NOT_EMULATED).sort());
    for (const row of rows.filter((r) => r.state !== 'not-judged'))
      expect(row.killedBy.length, row.id).toBeGreaterThan(0);
    expect(runningProcesses(/node/, (cmd) => cmd.includes('cutover-emulator/'))).toBe(0);
    passed = true;
  }, 1_800_000);
});
