import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { HostSpec } from '../types.ts';
import { dockerResult } from './docker.ts';
import { OWNER_LABEL, RUN_LABEL } from './labels.ts';

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

export class HostNotReady extends Error {}

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
    .withNetworkMode(request.network)
    .withNetworkAliases(spec.name)
    .withEnvironment(environment)
    .withLabels({ [OWNER_LABEL]: String(process.pid), [RUN_LABEL]: request.runId })
    // --privileged fails in this sandbox (no CAP_SYS_RESOURCE); this set works, KVM included.
    .withAddedCapabilities('ALL')
    .withDroppedCapabilities('SYS_RESOURCE')
    .withSecurityOpt('seccomp=unconfined')
    .withDevices(devices)
    .withBindMounts([{ source: request.runDir, target: request.runDir, mode: 'rw' }])
    .withWaitStrategy(Wait.forSuccessfulCommand('test -f /run/cutover-ready'))
    .withStartupTimeout(90_000);
  try {
    const started = await container.start();
    return { id: started.getId(), address: started.getIpAddress(request.network) };
  } catch (err) {
    // Keep what the host said before it goes: the error names that file.
    const logFile = join(request.workDir, `host-${spec.name}-start.log`);
    const log = await dockerResult(['exec', name, 'sh', '-c', 'cat /var/log/cutover-init.log /var/log/libvirt/libvirtd.log 2>&1'], 10_000).catch(() => undefined);
    const logs = log?.stdout || (await dockerResult(['logs', name], 10_000).catch(() => undefined))?.stdout || '';
    await writeFile(logFile, logs).catch(() => undefined);
    await dockerResult(['rm', '-f', '-v', name], 60_000).catch(() => undefined);
    throw new HostNotReady(`host '${spec.name}' never became ready (${(err as Error).message.split('\n')[0]}); read ${logFile}`);
  }
}
