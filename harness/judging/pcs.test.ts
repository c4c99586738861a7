// PCS judges on what real QEMU 7.2 did around post-copy (fixtures recorded on process hosts),
// and on copies where the judged behaviour is broken: a destination that runs on after its
// source died (it would be running on zeroed pages), a recovery that loses pages, a
// destination that never fails.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { fixture, judge, verdictOf } from './fixture.ts';

const sourceLostPostcopy = () => fixture('qemu-7.2-pcs-source-lost-postcopy');
const linkCut = () => fixture('qemu-7.2-pcs-link-cut-postcopy');
const sourceLostPrecopy = () => fixture('qemu-7.2-pcs-source-lost-precopy');
const destinationLost = () => fixture('qemu-7.2-pcs-destination-lost-precopy');

describe('PCS judges on real QEMU 7.2 observations', () => {
  it('PCS-01 passes and says the guest was lost: postcopy-paused, alive, no progress', () => {
    const verdict = judge('PCS-01')(sourceLostPostcopy() as Observation);
    expect(verdict.verdict).toBe('pass');
    expect(verdict.reason).toMatch(/guest was lost.*postcopy-paused/);
    expect(verdict.measurements.destinationPassesAfterKill).toBe(0);
  });
  it('PCS-02..04 pass on what QEMU 7.2 did', () => {
    expect(verdictOf('PCS-02', linkCut())).toBe('pass');
    expect(verdictOf('PCS-03', sourceLostPrecopy())).toBe('pass');
    expect(verdictOf('PCS-04', destinationLost())).toBe('pass');
  });
});

describe('PCS judges fail when the behaviour is broken', () => {
  it('PCS-01 fails when the destination runs on after its source died, or crashes', () => {
    const runsOn = sourceLostPostcopy();
    const kill = runsOn.faults.find((f) => f.kind === 'kill' && f.target.side === 'source')!.t;
    runsOn.progress.destination.passes.push(kill + 400, kill + 402, kill + 404);
    expect(judge('PCS-01')(runsOn as Observation).reason).toMatch(/ran on memory it never received/);
    const crashed = sourceLostPostcopy();
    crashed.exits.destination = { code: 1, signal: null, t: kill + 10 };
    expect(judge('PCS-01')(crashed as Observation).reason).toMatch(/ended .* instead of pausing/);
  });
  it('PCS-02 fails on a recovery that loses pages, and when a side never pauses', () => {
    const lossy = linkCut();
    lossy.memory.destination = {
      ...lossy.memory.destination!,
      intact: false,
      summary: '812 of 25344 pages break the neighbour pattern (zero pages)',
    };
    expect(judge('PCS-02')(lossy as Observation).reason).toMatch(/RAM is corrupt/);
    const unpaused = linkCut();
    unpaused.events = unpaused.events.filter((e) => !(e.side === 'source' && e.migrationStatus === 'postcopy-paused'));
    expect(verdictOf('PCS-02', unpaused)).toBe('fail');
  });
  it('PCS-02 fails when the implementation refuses to recover', () => {
    const refused = linkCut();
    refused.actions = refused.actions.map((a) =>
      a.action === 'recover' ? { ...a, refused: 'migrate-recover: Migrate recovery is not supported' } : a,
    );
    expect(judge('PCS-02')(refused as Observation).reason).toBe(
      'recovery was refused: migrate-recover: Migrate recovery is not supported',
    );
  });
  it('PCS-03 fails when the destination runs the guest, or never fails', () => {
    const ran = sourceLostPrecopy();
    ran.progress.destination.passes.push(9000);
    expect(judge('PCS-03')(ran as Observation).reason).toMatch(/ran the guest/);
    const waits = sourceLostPrecopy();
    delete waits.exits.destination;
    waits.events = waits.events.filter((e) => !(e.side === 'destination' && e.migrationStatus === 'failed'));
    waits.states = waits.states.filter((s) => !(s.side === 'destination' && s.state === 'gone'));
    expect(judge('PCS-03')(waits as Observation).reason).toMatch(/never failed/);
  });
  it('PCS-04 fails when the source stops or its RAM is corrupt', () => {
    const stopped = destinationLost();
    const kill = stopped.faults.find((f) => f.kind === 'kill' && f.target.side === 'destination')!.t;
    stopped.progress.source.passes = stopped.progress.source.passes.filter((t) => t < kill);
    expect(verdictOf('PCS-04', stopped)).toBe('fail');
    const corrupt = destinationLost();
    corrupt.memory.source = {
      ...corrupt.memory.source!,
      intact: false,
      summary: '2 of 25344 pages break the neighbour pattern',
    };
    expect(verdictOf('PCS-04', corrupt)).toBe('fail');
  });
});

describe("PCS-02 on libvirt 9.0 with the destination host's link down", () => {
  it('fails: no side pauses (no reset reaches QEMU), libvirt gives the job up on its keepalive, QEMU completes on its own', () => {
    const verdict = judge('PCS-02')(fixture('libvirt-9.0-pcs-link-cut-postcopy') as Observation);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toMatch(/never paused.*client socket is closed|never paused.*completed at/);
  });

  it("does not take the source's paused state during all of post-copy for a pause the cut caused", () => {
    const obs = fixture('libvirt-9.0-pcs-link-cut-postcopy');
    const cut = obs.faults.find((f) => f.kind === 'cut-link')!.t;
    // Even with the destination made to pause after the cut, the source was paused already.
    obs.states.push({ t: cut + 100, side: 'destination', state: 'paused' });
    obs.states.sort((a, b) => a.t - b.t);
    expect(judge('PCS-02')(obs as Observation).reason).toMatch(/^after the cut the source never paused/);
  });
});

describe('PCS storage judges on real observations and broken copies', () => {
  const stopped = () => fixture('qemu-7.2-pcs-storage-stream-stopped');
  it('PCS-05 passes when the guest stops on the I/O error, and gives the window of exposure', () => {
    const verdict = judge('PCS-05')(stopped() as Observation);
    expect(verdict.verdict, verdict.reason).toBe('pass');
    expect(verdict.reason).toMatch(/stopped on an I\/O error.*window of exposure/);
    expect(verdict.measurements.exposureWindowMs).toBeGreaterThan(0);
  });
  it('PCS-05 fails on a disk read that returns zeros, and on the wrong data QEMU 7.2 handed the guest', () => {
    const zeros = stopped();
    const kill = zeros.faults.find((f) => f.kind === 'kill' && f.target.side === 'source')!.t;
    zeros.progress.destination.zeroReads = [kill + 5, kill + 6];
    expect(judge('PCS-05')(zeros as Observation).reason).toMatch(/read 2 sector\(s\) of zeros/);
    // Recorded on QEMU 7.2: the stale data the guest read was written into the overlay too.
    expect(judge('PCS-05')(fixture('qemu-7.2-pcs-storage-stream-bad-reads') as Observation).reason).toMatch(
      /not what was written; the destination's disk: \d+ sector\(s\) with another sector's data/,
    );
  });
  it("PCS-05 fails when the destination's disk holds wrong data, even if the guest read none of it", () => {
    const written = stopped();
    written.disks!.destination = {
      ...written.disks!.destination!,
      intact: false,
      wrongSectors: 128,
      summary: "128 sector(s) with another sector's data, 0 of zeros, of 8192 of its own",
    };
    expect(judge('PCS-05')(written as Observation).reason).toMatch(
      /read nothing wrong, but the destination's disk now holds 128/,
    );
  });
  it('PCS-05 fails when the guest neither stops nor sees an error', () => {
    const unnoticed = stopped();
    unnoticed.events = unnoticed.events.filter((e) => e.name !== 'BLOCK_IO_ERROR');
    unnoticed.states = unnoticed.states.map((s) => (s.state === 'io-error' ? { ...s, state: 'running' } : s));
    expect(judge('PCS-05')(unnoticed as Observation).reason).toMatch(/neither stopped/);
  });
  it('PCS-06 passes on QEMU 7.2 and libvirt 9.0, and fails when the source stops reading or reads wrong', () => {
    expect(verdictOf('PCS-06', fixture('qemu-7.2-pcs-storage-mirror-destination-lost'))).toBe('pass');
    expect(verdictOf('PCS-06', fixture('libvirt-9.0-pcs-storage-mirror-destination-lost'))).toBe('pass');
    const stalled = fixture('qemu-7.2-pcs-storage-mirror-destination-lost');
    const kill = stalled.faults.find((f) => f.kind === 'kill' && f.target.side === 'destination')!.t;
    stalled.progress.source.passes = stalled.progress.source.passes.filter((t) => t < kill);
    expect(verdictOf('PCS-06', stalled)).toBe('fail');
    const wrong = fixture('qemu-7.2-pcs-storage-mirror-destination-lost');
    wrong.progress.source.zeroReads = [kill + 100];
    expect(judge('PCS-06')(wrong as Observation).reason).toMatch(/1 sectors of zeros/);
  });
});

describe('PCS-02 on QEMU 7.2 with a management layer whose recovery does nothing', () => {
  const nullRecovery = () => fixture('qemu-7.2-pcs-link-cut-postcopy-null-recovery');

  it('fails, saying recovery never completed, where both sides stayed and what went unanswered', () => {
    const verdict = judge('PCS-02')(nullRecovery() as Observation);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toMatch(
      /^recovery never completed the migration: neither side reported a migration status after it was asked for at [\d.]+ ms; both stayed postcopy-paused; then the destination did not answer \(pausing the destination guest to read its memory: no answer within 10 s\) \(step 12 wait-migration ran out of time: /,
    );
  });

  it('names the statuses a recovery that started went through', () => {
    const obs = nullRecovery();
    const recover = obs.actions.find((a) => a.action === 'recover')!.t;
    obs.events.push(
      { t: recover + 5, side: 'destination', name: 'MIGRATION', migrationStatus: 'postcopy-recover' },
      { t: recover + 6, side: 'source', name: 'MIGRATION', migrationStatus: 'postcopy-recover' },
      { t: recover + 900, side: 'source', name: 'MIGRATION', migrationStatus: 'postcopy-paused' },
    );
    expect(judge('PCS-02')(obs as Observation).reason).toMatch(
      /the source went postcopy-recover -> postcopy-paused, the destination postcopy-recover; the source stayed postcopy-paused, the destination postcopy-recover/,
    );
  });
});
