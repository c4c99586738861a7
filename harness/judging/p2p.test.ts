// Each P2P judge on what libvirt 9.0 really did (fixtures recorded in containers), and on
// copies of those observations with the judged behaviour broken.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { CannotJudge } from './index.ts';
import { EXHAUSTION_WINDOW_MS } from './p2p.ts';
import { fixture, judge, verdictOf } from './fixture.ts';

const crossed = () => fixture('libvirt-9.0-p2p-crossed');
const queued = () => fixture('libvirt-9.0-p2p-queued');
const frozen = () => fixture('libvirt-9.0-p2p-frozen-target');
const ownHost = () => fixture('libvirt-9.0-p2p-own-host');

describe('P2P judges on libvirt 9.0 observations', () => {
  it('P2P-01 fails on the real deadlock, with the pool evidence, decided within 5 s of onset', () => {
    const verdict = judge('P2P-01')(crossed() as Observation);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.reason).toMatch(/deadlocked.*0 of 1 workers free/);
    expect(verdict.measurements.detectionMs).toBeLessThanOrEqual(5000);
  });
  it('P2P-02, -03, -04, -05 pass on what libvirt 9.0 did', () => {
    expect(verdictOf('P2P-02', queued())).toBe('pass');
    expect(verdictOf('P2P-03', crossed())).toBe('pass');
    expect(verdictOf('P2P-04', frozen())).toBe('pass');
    expect(verdictOf('P2P-05', ownHost())).toBe('pass');
  });
  it('P2P-05 fails where one worker makes the refusal itself wait (seed 001, point 2)', () => {
    expect(verdictOf('P2P-05', fixture('libvirt-9.0-p2p-own-host-one-worker'))).toBe('fail');
  });
});

describe('P2P judges fail when the behaviour is broken', () => {
  it('P2P-01 passes only when both crossed migrations end, and fails when one hangs without a deadlock', () => {
    const finished = crossed();
    delete finished.deadlock;
    finished.migration!.final = { status: 'completed' };
    finished.guests.g2!.migration!.final = { status: 'failed', errorDesc: 'operation failed' };
    expect(verdictOf('P2P-01', finished)).toBe('pass');
    const hung = crossed();
    delete hung.deadlock;
    hung.guests.g2!.migration!.final = { status: 'active', jobRunning: true };
    expect(verdictOf('P2P-01', hung)).toBe('fail');
  });

  it('P2P-02: one migration that did not finish; and no queue at all cannot be judged', () => {
    const broken = queued();
    broken.guests.g3!.migration!.final = { status: 'failed', errorDesc: 'Timed out during operation' };
    expect(verdictOf('P2P-02', broken)).toBe('fail');
    const neverQueued = queued();
    for (const s of neverQueued.daemons) s.pool.jobQueueDepth = 0;
    expect(() => judge('P2P-02')(neverQueued as Observation)).toThrow(CannotJudge);
  });

  it('P2P-03: a high-priority call that does not answer', () => {
    const obs = crossed();
    const list = obs.calls.find((c) => c.call.includes('list'))!;
    list.outcome = 'no-answer';
    list.latencyMs = 2000;
    expect(verdictOf('P2P-03', obs)).toBe('fail');
    const refused = crossed();
    refused.calls.find((c) => c.call.includes('domstate'))!.outcome = 'error';
    expect(verdictOf('P2P-03', refused)).toBe('fail');
  });

  it('P2P-03 is never a pass when the daemons never ran dry: the scenario did not create the condition', () => {
    const spare = crossed();
    delete (spare as { deadlock?: unknown }).deadlock;
    for (const s of spare.daemons) s.pool.freeWorkers = 1;
    expect(() => judge('P2P-03')(spare as Observation)).toThrow(
      /premise not met: pools-dry-at-calls .*: alpha .* was made with alpha: 1 of \d+ free, beta: 1 of \d+ free/,
    );
    const oneDry = crossed();
    delete (oneDry as { deadlock?: unknown }).deadlock;
    for (const s of oneDry.daemons) if (s.host === 'beta') s.pool.freeWorkers = 1;
    expect(() => judge('P2P-03')(oneDry as Observation)).toThrow(CannotJudge);
  });

  it('P2P-03 doubts a call made as the workers came free: the migrations may have just ended (the emulated daemon, under load)', () => {
    const freed = crossed();
    delete (freed as { deadlock?: unknown }).deadlock;
    const domstate = freed.calls.find((c) => c.call.includes('domstate'))!;
    domstate.outcome = 'error';
    domstate.detail = "failed to get domain 'cutover-p2p-crossed'";
    // The samples before the call still show the pools dry; one right at it shows a worker free.
    for (const host of ['alpha', 'beta'])
      freed.daemons.push({ t: domstate.t, host, pool: { ...freed.daemons[0]!.pool, freeWorkers: 1 } });
    expect(() => judge('P2P-03')(freed as Observation)).toThrow(
      /premise not met: pools-dry-at-calls .*domstate .* was made with alpha: 1 of 1 free/,
    );
    const completed = crossed();
    delete (completed as { deadlock?: unknown }).deadlock;
    const first = completed.calls[0]!;
    // QEMU's 'completed' came long before (the deadlock held the job in Finish); now the job itself ended too.
    completed.events.find((e) => e.name === 'LIBVIRT_MIGRATE_JOB')!.t = first.t - 300;
    expect(() => judge('P2P-03')(completed as Observation)).toThrow(
      /was made 300\.0 ms after the migration job of main ended/,
    );
  });

  it('P2P-03 reads no pool sampled after a fault struck once the call ended: the restart freed the workers, not the migrations', () => {
    // The restart comes right after the last call (destroy, ended at ~16.91 s; restart at 16.97 s);
    // a sample after it, still within 250 ms of the call's end, shows the workers free.
    const restarted = crossed();
    const destroy = restarted.calls.find((c) => c.call.includes('destroy'))!;
    const end = destroy.t + destroy.latencyMs;
    const restart = restarted.faults[0]!.t;
    expect(restart - end).toBeLessThan(EXHAUSTION_WINDOW_MS);
    for (const host of ['alpha', 'beta'])
      restarted.daemons.push({ t: restart + 20, host, pool: { ...restarted.daemons[0]!.pool, freeWorkers: 1 } });
    expect(verdictOf('P2P-03', restarted)).toBe('pass');
    // The same samples with no fault before them: the workers came free of themselves.
    const unexplained = structuredClone(restarted);
    unexplained.faults = [];
    expect(() => judge('P2P-03')(unexplained as Observation)).toThrow(/destroy .* was made with alpha: 1 of 1 free/);
    // A fault struck while the call waited does not excuse what followed it: the call may owe it its answer.
    const during = structuredClone(restarted);
    for (const f of during.faults) f.t = destroy.t + 10;
    expect(() => judge('P2P-03')(during as Observation)).toThrow(CannotJudge);
  });

  it('P2P-04: a source that gives up well before the keepalive bound did not give up by the keepalive', () => {
    const early = frozen();
    const freezeAt = early.faults.find((f) => f.kind === 'freeze-daemon')!.t;
    for (const e of early.events)
      if (e.side === 'source' && (e.migrationStatus === 'failed' || e.migrationStatus === 'cancelled'))
        e.t = freezeAt + 500;
    expect(judge('P2P-04')(early as Observation).reason).toMatch(/well before the keepalive bound/);
  });

  it('P2P-04: a source that gives up late, or stops running the guest', () => {
    const late = frozen();
    const freezeAt = late.faults.find((f) => f.kind === 'freeze-daemon')!.t;
    for (const e of late.events) if (e.side === 'source' && e.t > freezeAt && e.migrationStatus) e.t += 20_000;
    expect(verdictOf('P2P-04', late)).toBe('fail');
    const stopped = frozen();
    stopped.progress.source.passes = stopped.progress.source.passes.filter((t) => t < freezeAt);
    expect(verdictOf('P2P-04', stopped)).toBe('fail');
  });

  it('P2P-05: an error that does not say why, a worker left taken, a slow refusal', () => {
    const vague = ownHost();
    vague.migration!.final!.errorDesc = 'internal error';
    expect(verdictOf('P2P-05', vague)).toBe('fail');
    const held = ownHost();
    for (const c of held.calls) if (c.priority === 'low') c.outcome = 'no-answer';
    expect(verdictOf('P2P-05', held)).toBe('fail');
    const slow = ownHost();
    for (const e of slow.events) if (e.side === 'source' && e.migrationStatus === 'failed') e.t += 10_000;
    expect(verdictOf('P2P-05', slow)).toBe('fail');
  });
});
