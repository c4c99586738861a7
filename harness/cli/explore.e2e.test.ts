// `cutover explore` on real QEMU: generated fault schedules over the V3 base scenario. With a
// management layer that leaves its source paused after a failure, a failing schedule is
// found, shrunk, written as a scenario file, and that file replayed alone gives the same
// verdict; with cutover's own qemu driver the same seed finds nothing. Nothing is left behind.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutover, qemuProcesses } from './e2e-helpers.ts';

const broken = 'harness/cli/fixtures/drivers/leaves-source-paused.ts';

describe('cutover explore on real QEMU', () => {
  it('finds, shrinks and writes a failing schedule that replays alone with the same verdict', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const found = await cutover([
      'explore',
      '--runs',
      '6',
      '--seed',
      '3',
      '--budget',
      '4m',
      '--driver',
      broken,
      '--out',
      out,
    ]);
    expect(found.code, found.stdout + found.stderr).toBe(1);
    expect(found.stdout).toMatch(/^\[1\/6\] .* -> FAIL V3-INV/m);
    expect(found.stdout).toMatch(/^failing schedule \(shrunk to 1 fault\): /m);
    const file = /replay: npx cutover scenario .* (\S+failing-1\.yaml)$/m.exec(found.stdout)?.[1];
    expect(file, found.stdout).toBeDefined();
    const written = await readFile(file!, 'utf8');
    expect(written).toMatch(/Found by cutover explore --seed 3/);
    const replayed = await cutover(['scenario', file!, '--driver', broken, '--out', out]);
    expect(replayed.stdout, replayed.stdout + replayed.stderr).toMatch(
      /^ {2}FAIL {2}V3-INV: no running copy of the guest anywhere/m,
    );
    expect(qemuProcesses()).toBe(0);
  }, 600_000);

  it("plays the same seed on cutover's own qemu driver: schedules per minute printed, nothing failing", async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const result = await cutover(['explore', '--runs', '3', '--seed', '3', '--budget', '3m', '--out', out]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^3 schedules played in .* \(\d+\.\d per minute\); 0 failing schedule\(s\) found/m);
    expect(qemuProcesses()).toBe(0);
  }, 600_000);

  it('refuses a bad budget and a family with no base scenario, each in one line', async () => {
    const budget = await cutover(['explore', '--budget', 'soon']);
    expect(budget.code).toBe(2);
    expect(budget.stderr).toMatch(/^cutover: --budget soon: not a duration/);
    const family = await cutover(['explore', '--family', 'mig']);
    expect(family.code).toBe(2);
    expect(family.stderr).toMatch(/no base scenario to explore at scenarios\/mig\/explore-base\.yaml/);
  });
});
