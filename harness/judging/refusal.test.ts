// The refusals libvirt 9.0 really makes (same host, a host UUID shared by two hosts, a UUID or
// a name already taken at the destination), judged on recorded observations and on copies
// where the refusal, the guest or the destination went wrong.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { fixture, judge, verdictOf } from './fixture.ts';

const cases = [
  ['SHU-06', 'libvirt-9.0-shu-own-host', /same host/],
  ['UUID-02', 'libvirt-9.0-uuid-same-uuid-running', /already defined with uuid/],
  ['UUID-03', 'libvirt-9.0-uuid-same-name', /already exists with uuid/],
  ['UUID-04', 'libvirt-9.0-uuid-shared-host-uuid', /same host/],
] as const;

describe('refusals on libvirt 9.0', () => {
  for (const [id, name, words] of cases) {
    it(`${id} passes on what libvirt 9.0 did, quoting its error`, () => {
      const verdict = judge(id)(fixture(name) as Observation);
      expect(verdict.verdict, verdict.reason).toBe('pass');
      expect(verdict.reason).toMatch(words);
    });
  }
});

describe('refusal judges fail when the behaviour is broken', () => {
  const [id, name] = cases[1];
  it('fails when the migration is carried out instead', () => {
    const obs = fixture(name);
    obs.events.find((e) => e.migrationStatus === 'failed')!.migrationStatus = 'completed';
    expect(judge(id)(obs as Observation).reason).toMatch(/not refused/);
  });
  it('fails when the error does not say why', () => {
    const obs = fixture(name);
    obs.migration!.final = { status: 'failed', errorDesc: 'operation failed: migration job: unexpectedly failed' };
    expect(judge(id)(obs as Observation).reason).toMatch(/does not say/);
  });
  it('fails when the error does not name the clash: the UUID, the name, the host UUID', () => {
    const vague: Array<[string, string, string]> = [
      [
        'UUID-02',
        'libvirt-9.0-uuid-same-uuid-running',
        'operation failed: domain is already defined with another uuid',
      ],
      ['UUID-03', 'libvirt-9.0-uuid-same-name', 'operation failed: a domain already exists with that name'],
      ['UUID-04', 'libvirt-9.0-uuid-shared-host-uuid', 'internal error: Attempt to migrate guest to the same host'],
    ];
    for (const [which, recorded, error] of vague) {
      const obs = fixture(recorded);
      obs.migration!.final = { status: 'failed', errorDesc: error };
      expect(judge(which)(obs as Observation).reason, which).toMatch(/does not name the (UUID|name|host UUID)/);
    }
  });
  it('fails when the guest stops at the source, or its RAM is corrupt', () => {
    const stopped = fixture(name);
    stopped.progress.source.passes = stopped.progress.source.passes.filter((t) => t < stopped.migration!.requestedAt);
    expect(verdictOf(id, stopped)).toBe('fail');
    const corrupt = fixture(name);
    corrupt.memory.source = {
      ...corrupt.memory.source!,
      intact: false,
      summary: '2 of 25344 pages break the neighbour pattern',
    };
    expect(judge(id)(corrupt as Observation).reason).toMatch(/RAM corrupt/);
  });
  it('fails when the destination keeps a new guest, or the guest already there was disturbed', () => {
    const leftover = fixture(name);
    leftover.inventories!.at(-1)!.guests.push({
      name: 'cutover-uuid-same-uuid-running',
      uuid: '5f0c6a52-6f1e-4c43-9d55-0c0ffee00002',
      state: 'paused',
    });
    expect(judge(id)(leftover as Observation).reason).toMatch(/holds what it did not before/);
    const disturbed = fixture(name);
    disturbed.guests.twin!.progress.source.passes = disturbed.guests.twin!.progress.source.passes.filter(
      (t) => t < disturbed.migration!.requestedAt,
    );
    expect(judge(id)(disturbed as Observation).reason).toMatch(/already on the destination was disturbed/);
  });
});
