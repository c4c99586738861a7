import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { UsageError } from '../../util/errors.ts';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { HostSpec } from '../types.ts';
import { dockerResult } from './docker.ts';
import { ownershipLabels } from './labels.ts';

/** Loaded on first use: process-host runs never pay for testcontainers. */
async function loadTestcontainers() {
  // No registry can be reached: testcontainers must not pull its Ryuk helper image. cutover
  // removes its own containers (labels + reaper) instead.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
  const { GenericContainer, Wait } = await import('testcontainers');
  /** testcontainers has no device option: they go into the host config directly. */
  class HostContainer extends GenericContainer {
    withDevices(paths: ReadonlyArray<string>): this {
      this.hostConfig.Devices = paths.map((p) => ({ PathOnHost: p, PathInContainer: p, CgroupPermissions: 'rwm' }));
      return this;
    }
  }
  return { HostContainer, Wait };
}

export interface StartRequest {
  readonly spec: HostSpec;
  readonly image: string;
  readonly network: string;
  readonly runDir: string;
  readonly workDir: string;
  readonly runId: string;
}

/** A host that did not come up: a configuration problem, told in one line with its log. */
export class HostNotReady extends UsageError {}

/** libvirt's qemu hook (it lets the refuse-prepare fault fail a Prepare), mounted where libvirtd looks at its start. */
const QEMU_HOOK = fileURLToPath(new URL('./qemu-hook', import.meta.url));

/** Start logs outlive the run's scratch folder, so the error can point at them. */
const START_LOGS = join(tmpdir(), 'cutover-logs');

/** Starts one host container and waits until its libvirtd answers. */
export async function startHostContainer(request: StartRequest): Promise<{ id: string; address: string }> {
  const { spec } = request;
  const devices = ['/dev/kvm', '/dev/userfaultfd'].filter((d) => existsSync(d));
  const environment: Record<string, string> = {
    CUTOVER_HOST_UUID: spec.hostUuid ?? randomUUID(),
    ...(spec.workers && {
      CUTOVER_MIN_WORKERS: String(spec.workers.min),
      CUTOVER_MAX_WORKERS: String(spec.workers.max),
      CUTOVER_PRIO_WORKERS: String(spec.workers.priority),
    }),
    ...(spec.keepalive && {
      CUTOVER_KEEPALIVE_INTERVAL: String(spec.keepalive.interval),
      CUTOVER_KEEPALIVE_COUNT: String(spec.keepalive.count),
    }),
  };
  const name = `cutover-${request.runId}-${spec.name}`;
  const { HostContainer, Wait } = await loadTestcontainers();
  const container = new HostContainer(request.image)
    .withName(name)
    .withHostname(spec.name)
    // Only the scenario's network: hosts reach each other by address, never through Docker's
    // default bridge (which network aliases would add).
    .withNetworkMode(request.network)
    .withEnvironment(environment)
    .withLabels(ownershipLabels(request.runId))
    // --privileged fails in this sandbox (no CAP_SYS_RESOURCE); this set works, KVM included.
    .withAddedCapabilities('ALL')
    .withDroppedCapabilities('SYS_RESOURCE')
    .withSecurityOpt('seccomp=unconfined')
    .withDevices(devices)
    .withBindMounts([
      { source: request.runDir, target: request.runDir, mode: 'rw' },
      { source: QEMU_HOOK, target: '/etc/libvirt/hooks/qemu', mode: 'ro' },
    ])
    // The init script says "ready" or "FAILED" on stderr: either ends the wait at once.
    .withWaitStrategy(Wait.forLogMessage(/cutover-host-init: (ready|FAILED)/))
    .withStartupTimeout(90_000);
  let why: string;
  try {
    const started = await container.start();
    const ready = await dockerResult(['exec', started.getId(), 'test', '-f', '/run/cutover-ready'], 10_000).catch(
      () => undefined,
    );
    if (ready?.code === 0) return { id: started.getId(), address: started.getIpAddress(request.network) };
    why = 'its init script failed';
  } catch (err) {
    why = (err as Error).message.split('\n')[0] ?? 'unknown';
  }
  // Keep what the host said before it goes: the error names that file.
  await mkdir(START_LOGS, { recursive: true });
  const logFile = join(START_LOGS, `host-${spec.name}-${request.runId}.log`);
  const logs = await dockerResult(['logs', name], 10_000).catch(() => undefined);
  const said = `${logs?.stdout ?? ''}${logs?.stderr ?? ''}`;
  await writeFile(logFile, said).catch(() => undefined);
  await dockerResult(['rm', '-f', '-v', name], 60_000).catch(() => undefined);
  const failed = /FAILED: (.*)/.exec(said)?.[1];
  throw new HostNotReady(`host '${spec.name}' never became ready: ${failed ?? why}; read ${logFile}`);
}
