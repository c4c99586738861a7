// Every pass stands on its premise: real recorded observations with the premise stripped give
// "cannot judge" naming it, never a pass; where the implementation kept the premise from
// holding, the requirement's own text decides, and the reason says so.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { PREMISE_IDS } from '../requirements/premises.ts';
import { REQUIREMENTS } from '../requirements/catalog.ts';
import { fixture, judge, underTest } from './fixture.ts';
import { decide, judgeRequirement, JUDGES } from './index.ts';
import { PREMISE_CHECKS } from './premises.ts';

const cannotJudge = (id: string, obs: unknown, premise: string): void => {
  expect(() => judge(id)(obs as Observation)).toThrow(new RegExp(`premise(s)? not met: .*${premise} \\(`));
};

describe('premises, declared in the catalogue and checked', () => {
  it('every premise has a check, every judged requirement declares its premises, and each is used', () => {
    expect(Object.keys(PREMISE_CHECKS).sort()).toEqual([...PREMISE_IDS].sort());
    for (const r of REQUIREMENTS) if (JUDGES[r.id]) expect(r.premises.length, r.id).toBeGreaterThan(0);
    const used = new Set(REQUIREMENTS.flatMap((r) => r.premises.map((p) => p.id)));
    expect(PREMISE_IDS.filter((p) => !used.has(p))).toEqual([]);
  });
});

describe('a stored observation with the premise stripped cannot be judged', () => {
  it('MIG-08 with the guest\u2019s progress removed on both sides: not "only one side ran it"', () => {
    const silent = fixture('qemu-7.2-precopy');
    expect(judge('MIG-08')(silent as Observation).verdict).toBe('pass');
    silent.progress.source.passes = [];
    silent.progress.destination.passes = [];
    cannotJudge('MIG-08', silent, 'guest-ran');
    // MIG-04 ("the source makes no progress after completion") would hold vacuously too.
    cannotJudge('MIG-04', silent, 'guest-ran');
  });

  it('a second migrating guest never seen to run: its verdicts stand on nothing either', () => {
    const three = fixture('qemu-7.2-uuid-validate');
    expect(judge('UUID-05')(three as Observation).verdict).toBe('pass');
    three.guests.same!.progress.source.passes = [];
    expect(() => judge('UUID-05')(three as Observation)).toThrow(/premise not met: guest-ran .*no pass of guest same/);
  });

  it('SPICE-02 with a hand-over 50 ms after completion and no sign the client was held by the target', () => {
    const quick = fixture('qemu-7.2-spice-unreachable-target');
    expect(judge('SPICE-02')(quick as Observation).verdict).toBe('pass');
    const done = quick.events.find((e) => e.side === 'source' && e.migrationStatus === 'completed')!.t;
    for (const e of quick.events) if (e.name === 'SPICE_MIGRATE_COMPLETED') e.t = done + 50;
    // The client did reach for the blackhole before that: held, and 50 ms is within the bound.
    expect(judge('SPICE-02')(quick as Observation).verdict).toBe('pass');
    quick.spiceTargets = [];
    cannotJudge('SPICE-02', quick, 'client-held');
    quick.spiceTargets = [{ t: done + 100 }];
    cannotJudge('SPICE-02', quick, 'client-held');
    const reachable = fixture('qemu-7.2-spice-unreachable-target');
    reachable.migration!.settings = { ...reachable.migration!.settings, spice: 'destination' };
    cannotJudge('SPICE-02', reachable, 'client-held');
  });

  it('P2P-01 on migrations that never crossed, or pools with spare workers', () => {
    const crossed = fixture('libvirt-9.0-p2p-crossed');
    expect(judge('P2P-01')(crossed as Observation).verdict).toBe('fail');
    const apart = fixture('libvirt-9.0-p2p-crossed');
    const g2 = apart.guests.g2!;
    // g2 asked for only after main's job had ended: no crossing, so no deadlock to judge.
    g2.migration!.requestedAt = 17_100;
    cannotJudge('P2P-01', apart, 'migrations-crossed');
    const wide = fixture('libvirt-9.0-p2p-crossed');
    wide.hosts.alpha!.settings = { ...wide.hosts.alpha!.settings, workers: { min: 1, max: 2, priority: 1 } };
    cannotJudge('P2P-01', wide, 'one-worker-per-daemon');
  });

  it('P2P-01 on the real deadlock: crossed, whichever job the restarted daemons ended first', () => {
    const deadlocked = fixture('libvirt-9.0-p2p-crossed');
    const mainEnd = deadlocked.events.find((e) => e.name === 'LIBVIRT_MIGRATE_JOB')!;
    mainEnd.t = 17_000; // before g2's (17.07 s): g2 never became active, it waited on main
    const v = decide('P2P-01', deadlocked as Observation);
    expect(v.verdict).toBe('fail');
    expect(v.reason).toMatch(/^the crossed migrations deadlocked/);
  });

  it('P2P-01: an implementation that queued the second migration until the first ended is judged by the text', () => {
    const queued = fixture('libvirt-9.0-p2p-crossed');
    delete (queued as { deadlock?: unknown }).deadlock;
    const mainEnd = queued.events.find((e) => e.name === 'LIBVIRT_MIGRATE_JOB')!;
    mainEnd.t = 9500;
    queued.migration!.final = { status: 'completed' };
    const g2 = queued.guests.g2!;
    g2.events = [
      { t: 9600, side: 'source', name: 'MIGRATION', migrationStatus: 'active' },
      { t: 11_000, side: 'source', name: 'MIGRATION', migrationStatus: 'completed' },
    ];
    g2.migration!.final = { status: 'completed' };
    const v = decide('P2P-01', queued as Observation);
    expect(v.verdict).toBe('pass');
    expect(v.reason).toMatch(
      /^the implementation kept a premise from holding: .*held g2's migration back until main's had ended .*then ran it/,
    );
  });

  it('MIG-06 where the migration never became active: the implementation hung, so the cancel never came: a fail', () => {
    const stuck = fixture('qemu-7.2-cancel');
    for (const e of stuck.events) if (e.migrationStatus && e.migrationStatus !== 'setup') e.migrationStatus = 'setup';
    delete stuck.migration!.cancelRequestedAt;
    stuck.steps = stuck.steps.map((s) =>
      s.do === 'wait-migration'
        ? { ...s, outcome: 'deadline', detail: "migration status still 'setup' after 20 s" }
        : s,
    );
    const v = decide('MIG-06', stuck as Observation);
    expect(v.verdict).toBe('fail');
    expect(v.reason).toMatch(/^the implementation kept a premise from holding: .*never became active/);
    // The same without a hang: the scenario itself never cancelled, so nothing can be judged.
    const uncancelled = fixture('qemu-7.2-cancel');
    delete uncancelled.migration!.cancelRequestedAt;
    cannotJudge('MIG-06', uncancelled, 'cancel-while-active');
  });

  it('PCS-06 with the destination lost after the mirror was over', () => {
    const lost = fixture('qemu-7.2-pcs-storage-mirror-destination-lost');
    expect(judge('PCS-06')(lost as Observation).verdict).toBe('pass');
    const late = fixture('qemu-7.2-pcs-storage-mirror-destination-lost');
    const kill = late.faults[0]!;
    kill.t = 17_200; // after the mirror job concluded (17.1 s), the migration never started
    cannotJudge('PCS-06', late, 'mirror-in-flight-at-loss');
  });

  it('SHU-05 with the old QEMU never sampled after the failure: not a "lost" guest', () => {
    const lost = underTest(fixture('qemu-7.2-shu-failed-after-handover'));
    expect(judge('SHU-05')(lost as Observation).verdict).toBe('pass');
    const loss = lost.faults.find((f) => f.target.side === 'destination')!;
    lost.states = lost.states.filter((s) => !(s.side === 'source' && s.t >= loss.t));
    cannotJudge('SHU-05', lost, 'old-qemu-watched');
  });

  it('a pass on one scenario and "cannot judge" on another says so, with the count', () => {
    const judged = fixture('qemu-7.2-unreachable') as Observation;
    const silent = fixture('qemu-7.2-unreachable');
    silent.scenario = { ...silent.scenario, name: 'silent-destination' };
    silent.progress.source.passes = [];
    const v = judgeRequirement('MIG-07', [judged, silent as Observation]);
    expect(v.verdict).toBe('pass');
    expect(v.reason).toMatch(
      /^pass on 1 of 2 scenarios; 1 could not judge it: .*silent-destination: cannot judge: premise not met: guest-ran/,
    );
  });
});
