// V3 judges on what real libvirt 9.0 and QEMU 7.2 did when a phase of the migration failed
// (fixtures recorded on container and process hosts), and on copies where the roll-back is
// broken: a stale guest at the destination, a source left paused, two running copies, a
// failure with no reason, a fault that struck outside the phase the requirement is about.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { fixture, judge, verdictOf, type Mutable } from './fixture.ts';

const prepareRefused = () => fixture('libvirt-9.0-v3-prepare-refused');
const linkCut = () => fixture('libvirt-9.0-v3-perform-link-cut');
const interrupted = () => fixture('libvirt-9.0-v3-source-daemon-interrupted');
const killed = () => fixture('libvirt-9.0-v3-source-daemon-killed');
const finishKilled = () => fixture('libvirt-9.0-v3-finish-destination-killed');
const qemuLinkCut = () => fixture('qemu-7.2-v3-perform-link-cut');
const qemuPrepareRefused = () => fixture('qemu-7.2-v3-prepare-refused');

const decide = (id: string, obs: Mutable<Observation>) => judge(id)(obs as Observation);
const after = (obs: Mutable<Observation>) => obs.faults[0]!.t;

/** The last inventory of a host after the fault, to be broken. */
function lastInventory(obs: Mutable<Observation>, host: string) {
  const sample = (obs.inventories ?? []).filter((i) => i.host === host && i.t > after(obs)).at(-1);
  if (!sample) throw new Error(`no inventory of ${host}`);
  return sample;
}

describe('V3 judges on real libvirt 9.0 and QEMU 7.2', () => {
  it("V3-01 passes on libvirt: the hook's refusal is quoted and nothing is left at the destination", () => {
    const verdict = decide('V3-01', prepareRefused());
    expect(verdict.verdict).toBe('pass');
    expect(verdict.reason).toMatch(/Hook script execution failed.*nothing of it left on beta; RAM intact/);
  });
  it("V3-01 is skipped on cutover's qemu driver: the refusal and the clean-up are cutover's own", () => {
    expect(decide('V3-01', qemuPrepareRefused()).reason).toMatch(/cutover's own management code/);
  });
  it('V3-02 passes where the link was cut in perform3, on libvirt (its keepalive) and on QEMU', () => {
    expect(decide('V3-02', linkCut()).reason).toMatch(
      /cut in perform3, rolled back: failed: "internal error: client socket is closed"/,
    );
    expect(verdictOf('V3-02', qemuLinkCut())).toBe('pass');
  });
  it('V3-03 passes where the destination died between the transfer and Finish: libvirt resumed the source', () => {
    expect(decide('V3-03', finishKilled()).reason).toMatch(
      /QEMU was killed after the transfer \(source in perform3_done\).*rolled back: failed: "Domain not found/,
    );
  });
  it('V3-04 passes after SIGINT and SIGKILL of the source daemon', () => {
    expect(decide('V3-04', interrupted()).reason).toMatch(/SIGINT.*rolled back/);
    expect(decide('V3-04', killed()).reason).toMatch(/SIGKILL.*rolled back/);
  });
});

describe('V3 judges fail when the roll-back is broken', () => {
  it('a guest left at the destination fails, defined or running', () => {
    for (const [id, obs] of [
      ['V3-01', prepareRefused()],
      ['V3-02', linkCut()],
      ['V3-03', finishKilled()],
      ['V3-04', killed()],
    ] as const) {
      lastInventory(obs, 'beta').guests.push({ name: obs.guest!.name, uuid: obs.guest!.uuid!, state: 'shut off' });
      expect(decide(id, obs).reason).toMatch(/beta still holds .* \(shut off\)/);
    }
  });
  it('two running copies fail, and so does a source left paused', () => {
    const two = interrupted();
    lastInventory(two, 'beta').guests.push({ name: two.guest!.name, state: 'running' });
    expect(decide('V3-04', two).reason).toMatch(/2 running copies/);
    const paused = linkCut();
    paused.progress.source.passes = paused.progress.source.passes.filter((t) => t < after(paused));
    paused.states = paused.states.map((s) =>
      s.side === 'source' && s.t > after(paused) ? { ...s, state: 'paused' } : s,
    );
    expect(decide('V3-02', paused).reason).toMatch(/the source is 'paused' with 0 passes/);
  });
  it("a failure without a reason fails, and V3-01 needs the destination's own words", () => {
    const silent = killed();
    silent.migration!.final = { status: 'failed' };
    expect(decide('V3-04', silent).reason).toMatch(/ended 'failed' with no reason given/);
    const vague = prepareRefused();
    vague.migration!.final = { status: 'failed', errorDesc: 'operation failed' };
    expect(decide('V3-01', vague).reason).toMatch(/does not say the destination refused it/);
  });
  it('a migration that completed despite the refusal fails', () => {
    const ignored = prepareRefused();
    ignored.events.push({ t: after(ignored) + 500, side: 'source', name: 'MIGRATION', migrationStatus: 'completed' });
    expect(decide('V3-01', ignored).reason).toMatch(/completed although the destination refused Prepare/);
  });
  it('corrupt RAM at the source fails', () => {
    const corrupt = interrupted();
    corrupt.memory.source = { ...corrupt.memory.source!, intact: false, summary: '3 pages break the pattern' };
    expect(decide('V3-04', corrupt).reason).toMatch(/source RAM corrupt/);
  });
});

describe('V3 judges say when the scenario did not create the condition, never pass', () => {
  it('a fault outside perform3, a daemon of the wrong host, no settle, no inventory', () => {
    const early = linkCut();
    early.events = early.events.filter((e) => e.phase !== 'perform3');
    expect(() => decide('V3-02', early)).toThrow(/phase 'begin3', not in perform3/);
    const wrongHost = killed();
    wrongHost.faults[0]!.target = { host: 'beta' };
    expect(() => decide('V3-04', wrongHost)).toThrow(/not the source's/);
    const unsettled = killed();
    delete unsettled.settle;
    expect(() => decide('V3-04', unsettled)).toThrow(/no settle watch/);
    const late = finishKilled();
    late.progress.destination.passes.push(late.faults.find((f) => f.kind === 'kill')!.t - 50);
    expect(() => decide('V3-03', late)).toThrow(/already ran the guest/);
    const early2 = finishKilled();
    const kill = early2.faults.find((f) => f.kind === 'kill')!;
    early2.events = early2.events.filter(
      (e) => !(e.phase === 'perform3_done' || e.migrationStatus === 'completed') || e.t > kill.t,
    );
    expect(() => decide('V3-03', early2)).toThrow(/before the transfer completed/);
    const uncounted = prepareRefused();
    uncounted.inventories = [];
    expect(() => decide('V3-01', uncounted)).toThrow(/lacks an inventory of beta/);
  });
});

describe('V3-05', () => {
  // The emulated daemon's must-succeed policy (graphics relocation, the client sent to a blackhole).
  const mustSucceed = () => fixture('emulated-v3-must-succeed-relocation');
  it('is skipped where no must-succeed policy exists, and judges the roll-back where one does', () => {
    expect(verdictOf('V3-05', prepareRefused())).toBe('skipped');
    expect(decide('V3-05', mustSucceed())).toMatchObject({
      verdict: 'pass',
      reason: expect.stringMatching(/^a feature marked must-succeed failed at the destination, rolled back/),
    });
    const completed = mustSucceed();
    completed.migration!.final = { status: 'completed' };
    expect(decide('V3-05', completed).reason).toMatch(/reported 'completed'/);
    // A migration that completed took the source with it: no memory to read, still a failure.
    delete completed.memory.source;
    expect(decide('V3-05', completed).reason).toMatch(/reported 'completed'/);
  });
  it('cannot judge (never a pass) a roll-back where the must-succeed feature did not fail', () => {
    const unmarked = mustSucceed();
    unmarked.migration!.settings = { ...unmarked.migration!.settings, mustSucceed: [] };
    expect(() => decide('V3-05', unmarked)).toThrow(/premise not met: must-succeed-failed .*no feature was marked/);
    const followed = mustSucceed();
    followed.spice.push({
      t: followed.migration!.requestedAt + 100,
      side: 'destination',
      status: followed.spice[0]!.status,
    });
    expect(() => decide('V3-05', followed)).toThrow(/must-succeed-failed .*the client reached the destination/);
    const neverTried = mustSucceed();
    neverTried.spiceTargets = [];
    expect(() => decide('V3-05', neverTried)).toThrow(/must-succeed-failed .*no sign that the client tried to follow/);
  });
});

// V3-INV on generated schedules played on QEMU 7.2 (cutover explore, seed 7 and 3).
const migrated = () => fixture('qemu-7.2-v3-explore-migrated');
const rolledBack = () => fixture('qemu-7.2-v3-explore-rolled-back');
const killedBeforeItRan = () => fixture('qemu-7.2-v3-explore-destination-killed-before-it-ran');
const leftPaused = () => fixture('qemu-7.2-v3-explore-source-left-paused');

describe('V3-INV over generated fault schedules', () => {
  it('passes a schedule that ended migrated, and one that ended rolled back', () => {
    expect(decide('V3-INV', migrated()).reason).toMatch(
      /^migrated: the guest runs at the destination \(\d+ passes, RAM intact\), nothing of it left elsewhere/,
    );
    expect(decide('V3-INV', rolledBack()).reason).toMatch(/^rolled back: the guest runs on at the source/);
  });
  it('fails where no copy runs: a source left paused, a destination killed before it ran and the source never resumed', () => {
    expect(decide('V3-INV', leftPaused()).reason).toMatch(
      /no running copy of the guest anywhere \(alpha: paused; beta: nothing\): it was lost \(kill at phase perform3/,
    );
    expect(decide('V3-INV', killedBeforeItRan()).reason).toMatch(/no running copy .* the migration completed/);
  });
  it('fails on libvirt 11.3 leaving the guest paused at the source after its daemon was interrupted mid-migration', () => {
    const stranded = fixture('libvirt-11.3-v3-explore-daemon-restart-leaves-source-paused');
    expect(decide('V3-INV', stranded).reason).toMatch(
      /no running copy of the guest anywhere \(alpha: paused; beta: nothing\).*restart-daemon at phase begin3/,
    );
  });
  it('allows the loss only where the killed destination had taken the guest over', () => {
    const tookOver = killedBeforeItRan();
    const kill = tookOver.faults.find((f) => f.kind === 'kill')!;
    tookOver.events.push({ t: kill.t - 5, side: 'destination', name: 'RESUME' });
    expect(decide('V3-INV', tookOver).reason).toMatch(
      /lost with its destination, killed after it had taken the guest over/,
    );
    // The kill was struck as the source completed, and landed after the destination resumed the guest.
    const landedAfter = killedBeforeItRan();
    landedAfter.events.push({ t: kill.t + 1, side: 'destination', name: 'RESUME' });
    expect(decide('V3-INV', landedAfter).verdict).toBe('pass');
  });
  it('fails on two running copies, a stale guest, corrupt RAM, no progress', () => {
    const two = migrated();
    lastInventory(two, 'alpha').guests[0]!.state = 'running';
    expect(decide('V3-INV', two).reason).toMatch(/two running copies/);
    const stale = rolledBack();
    lastInventory(stale, 'beta').guests.push({ name: stale.guest!.name, state: 'inmigrate' });
    expect(decide('V3-INV', stale).reason).toMatch(/beta still holds .*inmigrate/);
    const corrupt = migrated();
    corrupt.memory.destination = {
      ...corrupt.memory.destination!,
      intact: false,
      summary: '9 pages break the pattern',
    };
    expect(decide('V3-INV', corrupt).reason).toMatch(/destination RAM corrupt/);
    const stuck = migrated();
    stuck.progress.destination.passes = [];
    expect(decide('V3-INV', stuck).reason).toMatch(/the destination made only 0 passes/);
  });
  it("is skipped where cutover's own qemu driver did the roll-back", () => {
    const policy = rolledBack();
    policy.events.push({
      t: policy.faults[0]!.t + 10,
      side: 'source',
      name: 'CUTOVER_POLICY',
      data: { action: 'resume-source' },
    });
    expect(verdictOf('V3-INV', policy)).toBe('skipped');
  });
});
