// The fast emulated run, end to end: families side by side on a clock 10 times the wall's
// (`--jobs 2 --time-scale 10`). The correct emulated target still passes what it passes on
// the wall clock (MIG-05 excepted, not judged there, and saying why), and the timing checks
// still fail on the bug variants that break them: widened allowances must not hide a bug.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateIn, cutover, runMark } from './e2e-helpers.ts';

const FAST = ['--hosts', 'emulated', '--driver', 'emulated', '--jobs', '2', '--time-scale', '10'];
const FAMILIES = ['--family', 'mig,spice,pcs,p2p'];
/** A bug per timing judge whose allowance the faster clock widens. */
const TIMING_BUGS: Record<string, string> = {
  'source-resumes-after-handover': 'MIG-04',
  'spice-delays-without-client': 'SPICE-04',
  'spice-waits-for-client': 'SPICE-02',
  'zeros-for-missing-pages': 'PCS-01',
  'no-keepalive': 'P2P-04',
};

const out = await mkdtemp(join(tmpdir(), 'cutover-fast-'));
const mark = runMark();
afterAll(() => rm(out, { recursive: true, force: true }));

const verdicts = (dir: string): Record<string, string> =>
  Object.fromEntries(certificateIn(dir).results.map((r) => [r.id, r.verdict]));

describe('cutover run --jobs 2 --time-scale 10 on emulated hosts', () => {
  it('passes the correct target as the wall clock does; MIG-05 is not judged, and says why', async () => {
    const dir = join(out, 'correct');
    const run = await cutover(['run', ...FAST, ...FAMILIES, '--out', dir], mark.env);
    const certificate = certificateIn(dir);
    expect(certificate.sut.timeScale).toBe(10);
    const wrong = certificate.results.filter(
      (r) => r.verdict !== 'pass' && !(r.id === 'MIG-05' && r.verdict === 'skipped'),
    );
    // What the emulated daemon cannot play is skipped on the wall clock too (post-copy recovery, storage).
    expect(
      wrong.filter((r) => r.verdict !== 'skipped').map((r) => `${r.id} ${r.verdict}: ${r.reason}`),
      run.stdout,
    ).toEqual([]);
    expect(certificate.results.find((r) => r.id === 'MIG-05')?.reason).toMatch(/judged without --time-scale/);
    expect(mark.emulatorsLeft()).toBe(0);
  }, 240_000);

  it('fails each timing check on the bug that breaks it', async () => {
    const dir = join(out, 'bugs');
    const run = await cutover(
      ['run', ...FAST, ...FAMILIES, '--bug', Object.keys(TIMING_BUGS).join(','), '--out', dir],
      mark.env,
    );
    const seen = verdicts(dir);
    for (const [bug, id] of Object.entries(TIMING_BUGS))
      expect(`${id} (${bug}): ${seen[id]}`, run.stdout).toBe(`${id} (${bug}): fail`);
    expect(mark.emulatorsLeft()).toBe(0);
  }, 240_000);
});
