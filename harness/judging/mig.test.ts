// Each MIG judge passes on what real QEMU 7.2 did (observations recorded by the runner, in
// fixtures/) and fails when the behaviour it judges is broken in that observation.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { GUEST_LAYOUT, stampOffsets, walkedRegions } from '../guest/layout.ts';
import { checkPageWalk } from '../guest/memory-check.ts';
import { CannotJudge } from './index.ts';
import { fixture as loadFixture, judge, verdictOf } from './fixture.ts';

const fixture = (name: string) => loadFixture(`qemu-7.2-${name}`);

const completedAt = (obs: Observation) =>
  obs.events.find((e) => e.side === 'source' && e.migrationStatus === 'completed')!.t;

/** A memory observation made from a real dump shape with one page overwritten. */
function corruptedMemory(t: number) {
  const regions = walkedRegions().map(({ start, end }) => {
    const bytes = new Uint8Array(end - start);
    for (let p = 0; p < bytes.length / GUEST_LAYOUT.pageSize; p++)
      for (const o of stampOffsets()) bytes[p * GUEST_LAYOUT.pageSize + o] = 40;
    return { start, bytes };
  });
  (regions[1] as { bytes: Uint8Array }).bytes[777 * GUEST_LAYOUT.pageSize] = 0;
  const check = checkPageWalk(regions);
  return { ...check, badPages: [...check.badPages], t, counters: { passes: 100_000, boots: 1 } };
}

describe('MIG judges on real QEMU 7.2 observations', () => {
  it.each(['MIG-01', 'MIG-02', 'MIG-03', 'MIG-04', 'MIG-05', 'MIG-08'])('%s passes on a healthy pre-copy', (id) => {
    expect(judge(id)(fixture('precopy') as Observation)).toMatchObject({ verdict: 'pass' });
  });
  it('MIG-08 says how long both sides were watched after the end, against which bound', () => {
    expect(judge('MIG-08')(fixture('precopy') as Observation).reason).toMatch(
      /watched 5\d{3}\.\d ms after the end \(no host keeps a keepalive: a fixed 5 s\)/,
    );
  });
  it('MIG-06 passes on a healthy cancel, MIG-07 on a healthy unreachable destination', () => {
    expect(verdictOf('MIG-06', fixture('cancel'))).toBe('pass');
    expect(verdictOf('MIG-07', fixture('unreachable'))).toBe('pass');
  });
});

describe('MIG judges fail when the behaviour is broken', () => {
  it('MIG-01: a missing active event, or a migration that failed', () => {
    const noActive = fixture('precopy');
    noActive.events = noActive.events.filter((e) => e.migrationStatus !== 'active');
    expect(verdictOf('MIG-01', noActive)).toBe('fail');
    const failed = fixture('precopy');
    for (const e of failed.events) if (e.migrationStatus === 'completed') e.migrationStatus = 'failed';
    expect(verdictOf('MIG-01', failed)).toBe('fail');
  });

  it('MIG-02: a corrupted destination page', () => {
    const obs = fixture('precopy');
    obs.memory.destination = corruptedMemory(obs.memory.destination!.t);
    const verdict = judge('MIG-02')(obs as Observation);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toMatch(/0x/);
  });

  it('MIG-03: a reboot marker, a pass counter that started over, no progress', () => {
    const rebooted = fixture('precopy');
    rebooted.progress.destination.boots = [completedAt(rebooted as Observation) + 5];
    expect(verdictOf('MIG-03', rebooted)).toBe('fail');
    const restarted = fixture('precopy');
    restarted.memory.destination!.counters.passes = 3;
    expect(verdictOf('MIG-03', restarted)).toBe('fail');
    const stalled = fixture('precopy');
    stalled.progress.destination.passes = [];
    expect(verdictOf('MIG-03', stalled)).toBe('fail');
  });

  it('MIG-02, MIG-03: the implementation ended the destination guest before its memory was read', () => {
    const ended = fixture('precopy');
    delete ended.memory.destination;
    ended.progress.destination.passes = [];
    ended.exits.destination = { code: 0, signal: null, t: ended.durationMs - 10 };
    const verdict = judge('MIG-02')(ended as Observation);
    expect(verdict).toMatchObject({ verdict: 'fail' });
    expect(verdict.reason).toMatch(/destination guest was gone before its memory could be read .*exit code 0/);
    expect(judge('MIG-03')(ended as Observation).reason).toMatch(/^only 0 passes on the destination/);
    const unchecked = fixture('precopy');
    delete unchecked.memory.destination;
    expect(() => judge('MIG-02')(unchecked as Observation)).toThrow(CannotJudge);
  });

  it('MIG-04: the source progresses after completion, or is not postmigrate', () => {
    const running = fixture('precopy');
    running.progress.source.passes.push(completedAt(running as Observation) + 50);
    expect(verdictOf('MIG-04', running)).toBe('fail');
    const resumed = fixture('precopy');
    for (const s of resumed.states) if (s.side === 'source' && s.state === 'postmigrate') s.state = 'running';
    expect(verdictOf('MIG-04', resumed)).toBe('fail');
  });

  it("MIG-06: a cancel that never ends the migration is the implementation's failure, not the harness's error", () => {
    const ignored = fixture('cancel');
    for (const e of ignored.events) if (e.migrationStatus === 'cancelled') e.migrationStatus = 'active';
    ignored.memory = {};
    ignored.steps.push({
      index: 5,
      do: 'wait-migration',
      startedAt: 1,
      endedAt: 2,
      outcome: 'deadline',
      detail: "migration status still 'active' after 20 s",
    });
    const verdict = judge('MIG-06')(ignored as Observation);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toMatch(
      /no 'cancelled' status after migrate_cancel .*ran out of time: migration status still 'active' after 20 s/,
    );
  });

  it('MIG-04 accepts a source that the management layer ended after completion', () => {
    const ended = fixture('precopy');
    for (const s of ended.states) if (s.side === 'source' && s.state === 'postmigrate') s.state = 'gone';
    expect(verdictOf('MIG-04', ended)).toBe('pass');
  });

  it('MIG-05: a guest-observed downtime beyond the limit plus tolerance', () => {
    const obs = fixture('precopy');
    obs.progress.destination.passes = obs.progress.destination.passes.map((t) => t + 2000);
    const verdict = judge('MIG-05')(obs as Observation);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.measurements.guestDowntimeMs).toBeGreaterThan(2000);
  });

  it('on a faster clock, a pass in flight is the lag; a source that runs on still fails MIG-04', () => {
    const lagged = fixture('precopy');
    lagged.timeScale = 10;
    lagged.progress.source.passes.push(completedAt(lagged as Observation) + 500);
    expect(verdictOf('MIG-04', lagged)).toBe('pass');
    lagged.progress.source.passes.push(completedAt(lagged as Observation) + 5000);
    expect(verdictOf('MIG-04', lagged)).toBe('fail');
  });

  it('MIG-04: a source that resumes after completion fails, however briefly and however lagged its serial (the event and the state need no allowance)', () => {
    const resumed = fixture('precopy');
    resumed.timeScale = 10;
    const done = completedAt(resumed as Observation);
    resumed.events.push({
      ...resumed.events.find((e) => e.side === 'source')!,
      name: 'RESUME',
      t: done + 60,
      migrationStatus: undefined,
    });
    expect(judge('MIG-04')(resumed as Observation).reason).toMatch(
      /the source resumed the guest 60\.0 ms after the migration completed/,
    );
    const running = fixture('precopy');
    running.timeScale = 10;
    running.states.push(
      { t: completedAt(running as Observation) + 80, side: 'source', state: 'running' },
      { t: completedAt(running as Observation) + 200, side: 'source', state: 'gone' },
    );
    running.states.sort((a, b) => a.t - b.t);
    expect(judge('MIG-04')(running as Observation).reason).toMatch(/ran the guest again after the migration completed/);
  });

  it('on a clock whose lag exceeds the downtime limit, MIG-05 is not judged (and says why); on a moderate one its tolerance widens', () => {
    const fast = fixture('precopy');
    fast.timeScale = 10;
    const verdict = judge('MIG-05')(fast as Observation);
    expect(verdict.verdict).toBe('skipped');
    expect(verdict.reason).toMatch(/clock 10 times the wall's.*judged without --time-scale/);
    const moderate = fixture('precopy');
    moderate.timeScale = 2;
    moderate.progress.destination.passes = moderate.progress.destination.passes.map((t) => t + 2000);
    expect(judge('MIG-05')(moderate as Observation)).toMatchObject({
      verdict: 'fail',
      measurements: { toleranceMs: 450 },
    });
  });

  it('MIG-06: the destination ran, no cancelled status, the source stopped, corrupt RAM', () => {
    const ran = fixture('cancel');
    ran.progress.destination.passes = [1500, 1502];
    expect(verdictOf('MIG-06', ran)).toBe('fail');
    const notCancelled = fixture('cancel');
    notCancelled.events = notCancelled.events.filter((e) => e.migrationStatus !== 'cancelled');
    expect(verdictOf('MIG-06', notCancelled)).toBe('fail');
    const stopped = fixture('cancel');
    const cancelledAt = stopped.events.find((e) => e.migrationStatus === 'cancelled')!.t;
    stopped.progress.source.passes = stopped.progress.source.passes.filter((t) => t <= cancelledAt);
    expect(verdictOf('MIG-06', stopped)).toBe('fail');
    const corrupt = fixture('cancel');
    corrupt.memory.source = corruptedMemory(corrupt.memory.source!.t);
    expect(verdictOf('MIG-06', corrupt)).toBe('fail');
  });

  it('MIG-07: no error text, a source that stopped, or a migration that did not fail', () => {
    const silent = fixture('unreachable');
    delete silent.migration!.final!.errorDesc;
    expect(verdictOf('MIG-07', silent)).toBe('fail');
    const stopped = fixture('unreachable');
    stopped.progress.source.passes = stopped.progress.source.passes.slice(0, 5);
    expect(verdictOf('MIG-07', stopped)).toBe('fail');
    const completed = fixture('unreachable');
    for (const e of completed.events) if (e.migrationStatus === 'failed') e.migrationStatus = 'completed';
    expect(verdictOf('MIG-07', completed)).toBe('fail');
  });

  it('MIG-08: progress on both sides at once', () => {
    const obs = fixture('precopy');
    const first = obs.progress.destination.passes[0]!;
    obs.progress.source.passes.push(first + 1, first + 3);
    expect(verdictOf('MIG-08', obs)).toBe('fail');
  });

  it('MIG-08: a copy resumed late in the watch, or another guest run on both sides, fails', () => {
    const late = fixture('precopy');
    late.progress.source.passes.push(late.settle!.until - 10);
    expect(judge('MIG-08')(late as Observation)).toMatchObject({
      verdict: 'fail',
      reason: expect.stringContaining('the guest: 1 source passes at or after'),
    });
    const crossed = fixture('precopy');
    crossed.guests = {
      g2: {
        events: [],
        states: [],
        progress: { source: { boots: [], passes: [100, 9000] }, destination: { boots: [], passes: [8000] } },
        migration: crossed.migration!,
        memory: {},
      },
    };
    expect(judge('MIG-08')(crossed as Observation)).toMatchObject({
      verdict: 'fail',
      reason: expect.stringContaining('guest g2: 1 source passes'),
    });
  });

  it('MIG-08 cannot judge (error, never pass) without a watch as long as the bound, before any memory check', () => {
    const none = fixture('precopy');
    delete none.settle;
    expect(() => judge('MIG-08')(none as Observation)).toThrow(
      /premise not met: watched-after-end .*keeps no watch after the migration/,
    );
    const short = fixture('precopy');
    short.settle = { ...short.settle!, until: short.settle!.from + 1000 };
    expect(() => judge('MIG-08')(short as Observation)).toThrow(
      /watched only 1000.0 ms after the end, short of no host keeps a keepalive/,
    );
    const paused = fixture('precopy');
    paused.memory.destination = { ...paused.memory.destination!, t: paused.settle!.until - 1 };
    expect(() => judge('MIG-08')(paused as Observation)).toThrow(/a memory check paused a guest .* before the watch/);
    const oneCopy = fixture('precopy');
    oneCopy.settle = {
      ...oneCopy.settle!,
      until: oneCopy.settle!.from + 20,
      endedBy: 'one-copy',
      detail: 'one copy left of main 20.0 ms after the end (bound 5.0 s)',
    };
    expect(judge('MIG-08')(oneCopy as Observation)).toMatchObject({
      verdict: 'pass',
      reason: expect.stringContaining('watched until one copy was left'),
    });
  });

  it('cannot judge (error, not pass) when the scenario lacks the evidence', () => {
    const obs = fixture('precopy');
    delete obs.memory.destination;
    expect(() => judge('MIG-02')(obs as Observation)).toThrow(CannotJudge);
  });
});
