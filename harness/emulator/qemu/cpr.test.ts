import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatedBug } from '../../hosts/emulated/bugs.ts';
import { pollUntil } from '../../util/deadline.ts';
import type { EmulatedLaunch } from './cmdline.ts';
import { receiveCprState } from './cpr.ts';
import { Incoming } from './incoming.ts';
import { Machine } from './machine.ts';
import { CPR_STREAM_BYTES, Outgoing } from './outgoing.ts';

// cpr-transfer between two emulated QEMUs in one process: the CPR state over the cpr channel,
// the destination's HUP, then device state only over the main one.

const base: EmulatedLaunch = {
  name: 'g',
  memoryMiB: 128,
  qmpSocket: '/unused',
  incoming: false,
  dataDisk: false,
  blockdevs: [],
  sharedMemoryPath: '/dev/shm/ram-g',
  auxRamShare: true,
};
let dir = '';
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) m.guest.stop();
  await rm(dir, { recursive: true, force: true });
});

function machine(launch: EmulatedLaunch, bugs: EmulatedBug[] = []): { vm: Machine; events: string[] } {
  const events: string[] = [];
  const vm = new Machine(launch, '10.0.0', new Set(bugs), (event, data) =>
    events.push(event === 'MIGRATION' ? `MIGRATION ${String(data?.status)}` : event),
  );
  vm.capabilities.set('events', true);
  machines.push(vm);
  return { vm, events };
}

async function handOver(bugs: EmulatedBug[] = []) {
  dir = await mkdtemp(join(tmpdir(), 'cutover-cpr-'));
  const cprPath = join(dir, 'cpr.sock');
  const mainUri = `unix:${join(dir, 'main.sock')}`;
  const source = machine(base);
  source.vm.setRunState('running');
  source.vm.guest.boot();
  await pollUntil('20 passes', 5000, async () => (source.vm.guest.state.passes >= 20 ? true : undefined));
  const destination = machine({ ...base, incoming: true }, bugs);
  const arriving = receiveCprState(cprPath);
  await pollUntil('the cpr socket', 5000, async () => (existsSync(cprPath) ? true : undefined));
  const outgoing = new Outgoing(source.vm);
  await outgoing.saveCprState(`unix:${cprPath}`);
  void outgoing.finishCpr(mainUri);
  const cpr = await arriving;
  const incoming = new Incoming(destination.vm, cpr.state);
  await incoming.listen(mainUri);
  cpr.hangUp();
  await pollUntil('completion', 5000, async () =>
    outgoing.status === 'completed' && destination.vm.runState === 'running' ? true : undefined,
  );
  return { source, destination, outgoing, cpr, sourcePasses: source.vm.guest.state.passes };
}

describe('emulated cpr-transfer', () => {
  it('hands RAM over by the cpr channel, sends device state only, and the guest goes on', async () => {
    const { source, destination, outgoing, cpr, sourcePasses } = await handOver();
    expect(cpr.state.ram).toEqual([{ name: 'ram0', path: '/dev/shm/ram-g' }]);
    expect(source.events).toEqual(['RESUME', 'MIGRATION setup', 'STOP', 'MIGRATION active', 'MIGRATION completed']);
    expect(source.vm.runState).toBe('postmigrate');
    expect(outgoing.info()).toMatchObject({
      status: 'completed',
      ram: { transferred: CPR_STREAM_BYTES, total: 0, remaining: 0 },
    });
    expect(destination.events).toEqual(['MIGRATION setup', 'MIGRATION active', 'RESUME', 'MIGRATION completed']);
    expect(destination.vm.guest.state).toMatchObject({ boots: 1 });
    expect(destination.vm.guest.state.passes).toBeGreaterThanOrEqual(sourcePasses);
  });
  it('with cpr-loses-ram, the destination runs on over fresh RAM: its counters start over', async () => {
    const { destination, sourcePasses } = await handOver(['cpr-loses-ram']);
    expect(destination.vm.guest.state.boots).toBe(0);
    expect(destination.vm.guest.state.passes).toBeLessThan(sourcePasses);
  });
});
