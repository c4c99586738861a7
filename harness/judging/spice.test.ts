// Each SPICE judge on what QEMU 7.2 + spice-server 0.15 + remote-viewer really did (fixtures
// recorded on process hosts), and on copies of those observations with the behaviour broken.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { fixture, judge, underTest, verdictOf } from './fixture.ts';

const obs = (name: string) => underTest(fixture(`qemu-7.2-spice-${name}`));

describe('SPICE judges on real observations', () => {
  it('pass for a well-behaved management layer', () => {
    expect(verdictOf('SPICE-01', obs('seamless'))).toBe('pass');
    expect(verdictOf('SPICE-02', obs('unreachable-target'))).toBe('pass');
    expect(verdictOf('SPICE-03', obs('unreachable-target'))).toBe('pass');
    expect(verdictOf('SPICE-04', obs('no-client'))).toBe('pass');
    expect(verdictOf('SPICE-05', obs('stalled-client'))).toBe('pass');
    expect(verdictOf('SPICE-06', obs('cancelled'))).toBe('pass');
  });

  it('SPICE-03 catches a manager that kills the source before the handover, and one that waits without bound', () => {
    expect(judge('SPICE-03')(obs('manager-immediately') as Observation).reason).toMatch(/before the SPICE handover/);
    expect(judge('SPICE-03')(obs('manager-wait-forever') as Observation).reason).toMatch(/waits without bound/);
  });

  it("SPICE-06 fails where a cancel during the client's handshake dropped its source session (a real race)", () => {
    expect(verdictOf('SPICE-06', obs('cancel-during-handshake'))).toBe('fail');
  });
});

describe('SPICE judges fail when the behaviour is broken', () => {
  const shift = (o: ReturnType<typeof obs>, name: string, by: number) => {
    for (const e of o.events) if (e.name === name) e.t += by;
  };

  it('SPICE-01: a session that started over, no client at the destination, a slow handover', () => {
    const restarted = obs('seamless');
    const after = restarted.spice.filter((s) => s.side === 'destination').at(-1)!;
    for (const c of after.status.channels) c.connectionId += 1;
    expect(verdictOf('SPICE-01', restarted)).toBe('fail');
    const lost = obs('seamless');
    lost.spice.filter((s) => s.side === 'destination').at(-1)!.status.channels = [];
    expect(verdictOf('SPICE-01', lost)).toBe('fail');
    const slow = obs('seamless');
    shift(slow, 'SPICE_MIGRATE_COMPLETED', 5000);
    expect(verdictOf('SPICE-01', slow)).toBe('fail');
  });

  it('SPICE-02/05: SPICE_MIGRATE_COMPLETED beyond the bound, or missing', () => {
    const late = obs('unreachable-target');
    shift(late, 'SPICE_MIGRATE_COMPLETED', 3000);
    expect(verdictOf('SPICE-02', late)).toBe('fail');
    const missing = obs('stalled-client');
    missing.events = missing.events.filter((e) => e.name !== 'SPICE_MIGRATE_COMPLETED');
    expect(verdictOf('SPICE-05', missing)).toBe('fail');
  });

  it('SPICE-04: a source kept alive with no client to wait for', () => {
    const held = obs('no-client');
    held.exits.source!.t += 5000;
    expect(verdictOf('SPICE-04', held)).toBe('fail');
  });

  it('SPICE-06 and SPICE-01: a cancel never done, a migration never completed, are failures', () => {
    const uncancelled = obs('cancelled');
    for (const e of uncancelled.events) if (e.migrationStatus === 'cancelled') e.migrationStatus = 'completed';
    expect(judge('SPICE-06')(uncancelled as Observation)).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/^asked to cancel, the migration was neither cancelled nor failed/),
    });
    const stuck = obs('seamless');
    stuck.events = stuck.events.filter((e) => e.migrationStatus !== 'completed');
    expect(judge('SPICE-01')(stuck as Observation)).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/^the migration never completed/),
    });
  });

  it('SPICE-06: the client lost at the source after the cancel', () => {
    const gone = obs('cancelled');
    gone.spice.filter((s) => s.side === 'source').at(-1)!.status.channels = [];
    expect(verdictOf('SPICE-06', gone)).toBe('fail');
  });

  it("SPICE-03 and SPICE-04 skip what cutover's own qemu driver decided (when it quits the source): it would judge itself", () => {
    for (const id of ['SPICE-03', 'SPICE-04']) {
      const own = judge(id)(
        fixture(`qemu-7.2-spice-${id === 'SPICE-03' ? 'unreachable-target' : 'no-client'}`) as Observation,
      );
      expect(own).toMatchObject({
        verdict: 'skipped',
        reason: expect.stringMatching(/decided by the qemu driver, which is cutover's own management code/),
      });
    }
  });
});
