// Losing the source after cut-over as a user runs it on process hosts: real QEMU 7.2,
// post-copy throttled so faults land while pages are missing, the harness's relay as the
// migration link, and the disk-reading guest for storage.
import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateIn, cutover, qemuProcesses } from './e2e-helpers.ts';

describe('PCS on process hosts with the qemu driver', () => {
  it("judges PCS-01..06 from events and the guest's own progress, and leaves no paused QEMU behind", async () => {
    const out = await mkdtemp(join(tmpdir(), 'cutover-e2e-'));
    const result = await cutover(['run', '--family', 'pcs', '--out', out]);
    const byId = Object.fromEntries(certificateIn(out).results.map((r) => [r.id, r]));
    for (const id of ['PCS-01', 'PCS-02', 'PCS-03', 'PCS-04', 'PCS-06'])
      expect(byId[id]?.verdict, `${id}: ${byId[id]?.reason}`).toBe('pass');
    expect(byId['PCS-01']?.reason).toMatch(/guest was lost.*postcopy-paused/);
    expect(byId['PCS-02']?.reason).toMatch(/RAM intact/);
    // QEMU 7.2's copy-on-read filter of block-stream may hand the guest stale data once the NBD
    // source is gone (timing-dependent): either verdict is real; a fail must say what was read.
    const stream = byId['PCS-05'];
    expect(stream?.reason).toMatch(/window of exposure/);
    if (stream?.verdict === 'fail') expect(stream.reason).toMatch(/not what was written|zeros/);
    else expect(stream?.verdict).toBe('pass');
    expect(result.code).toBe(stream?.verdict === 'pass' ? 0 : 1);
    expect(qemuProcesses()).toBe(0);
  }, 600_000);
});
