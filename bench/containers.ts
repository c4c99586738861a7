// Benchmark (not a test) of container hosts: image build cold and cached, host start-up,
// and the same pre-copy migration through libvirt in containers against the qemu driver on
// process hosts, measured in one run. Prints figures; asserts nothing.
//
//   npm run bench:containers [-- --cold] [-- --image bookworm|trixie] [-- --rounds N]
//   (--cold deletes that release's image and cached rootfs first: a full debootstrap, ~1 min)

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { hostProvider } from '../harness/hosts/index.ts';
import {
  CACHE_ROOT,
  currentHostImageTag,
  ensureDockerEngine,
  ensureHostImage,
  type HostRelease,
} from '../harness/hosts/container/image/index.ts';
import { exec } from '../harness/util/command.ts';
import type { Observation } from '../harness/observation/types.ts';
import { openSession } from '../harness/session/index.ts';
import { monotonicClock } from '../harness/util/clock.ts';

const { values } = parseArgs({
  options: {
    cold: { type: 'boolean', default: false },
    image: { type: 'string', default: 'bookworm' },
    rounds: { type: 'string', default: '2' },
  },
});
const release = values.image as HostRelease;
const rounds = Math.max(1, Number(values.rounds));
const quiet = (): void => {};
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

await ensureDockerEngine(quiet);

// ---- image build ---------------------------------------------------------------------
if (values.cold) {
  const tag = await currentHostImageTag(release);
  await exec(['docker', 'rmi', '-f', tag], 60_000);
  // Only this release's rootfs: the other's also gives process hosts their newer QEMU.
  for (const name of await readdir(CACHE_ROOT).catch(() => [] as string[])) {
    if (name.startsWith(`host-${release}-`)) await rm(join(CACHE_ROOT, name), { recursive: true, force: true });
  }
  const cold = await ensureHostImage(release, quiet);
  console.log(`image ${release}: cold build ${cold.seconds.toFixed(1)} s (debootstrap, configure, import, smoke test)`);
}
const cachedStart = performance.now();
const cached = await ensureHostImage(release, quiet);
console.log(
  `image ${release}: ${cached.tag}, cached lookup ${s(performance.now() - cachedStart)}${values.cold ? '' : ' (pass --cold for a cold build)'}`,
);

// ---- host start-up ---------------------------------------------------------------------
const provider = hostProvider({ kind: 'container', image: release });
await provider.prepare(quiet);
for (let round = 1; round <= rounds; round++) {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-bench-'));
  const started = performance.now();
  const hosts = await provider.create([{ name: 'alpha' }, { name: 'beta' }], dir, monotonicClock);
  const ready = performance.now() - started;
  const closing = performance.now();
  await Promise.all(hosts.map((h) => h.close()));
  console.log(
    `host start-up, 2 hosts in parallel until libvirtd answers: ${s(ready)} (removal ${s(performance.now() - closing)})`,
  );
  await rm(dir, { recursive: true, force: true });
}

// ---- one migration, two ways -----------------------------------------------------------
async function precopy(driver: string, hosts: string): Promise<Observation> {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-bench-'));
  const session = openSession(
    { driver, hosts: { kind: hosts, image: release }, accel: 'auto' },
    { storeDir: dir, progress: quiet },
  );
  try {
    return await session.play(join(import.meta.dirname, '../scenarios/mig/precopy.yaml'));
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const migrationMs = (obs: Observation): number => {
  const done = obs.events.find((e) => e.side === 'source' && e.migrationStatus === 'completed')?.t ?? NaN;
  return done - (obs.migration?.requestedAt ?? NaN);
};

console.log(`\npre-copy of the 128 MiB page-walking guest (scenario mig/precopy), ${rounds} round(s):`);
console.log(`  ${'round'.padEnd(6)} ${'libvirt/container'.padStart(30)} ${'qemu/process'.padStart(30)}`);
const sums = { container: 0, process: 0 };
for (let round = 1; round <= rounds; round++) {
  const inContainers = await precopy('libvirt', 'container');
  const onProcesses = await precopy('qemu', 'process');
  sums.container += migrationMs(inContainers);
  sums.process += migrationMs(onProcesses);
  const cell = (o: Observation): string => `${s(migrationMs(o))} migrate, ${s(o.durationMs)} scenario`;
  console.log(`  ${String(round).padEnd(6)} ${cell(inContainers).padStart(30)} ${cell(onProcesses).padStart(30)}`);
}
console.log(`  migration wall time, containers / process hosts: ${(sums.container / sums.process).toFixed(2)}`);
