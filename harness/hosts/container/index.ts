import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../util/clock.ts';
import { UsageError } from '../../util/errors.ts';
import type {
  Emulator,
  ExecResult,
  Host,
  HostControls,
  HostProcess,
  HostProvider,
  HostSpec,
  Keepalive,
  ProcessExit,
  SpawnRequest,
} from '../types.ts';
import { docker, dockerResult } from './docker.ts';
import { ensureDockerEngine, ensureHostImage, type HostRelease } from './image/index.ts';
import { ownershipLabels, RUN_LABEL } from './labels.ts';
import { reapStaleContainers, removeSession } from './reaper.ts';
import { startHostContainer } from './start.ts';
import { ensureContainerWatchdog } from './watchdog.ts';

export const HOST_RELEASES: ReadonlyArray<HostRelease> = ['bookworm', 'trixie'];

/**
 * Hosts as containers of an image built from Debian's packages (libvirtd inside), one per
 * host, on a network made for the scenario. Every folder of the scenario is bind-mounted at
 * the same path, so sockets and dumps are reachable from the harness and from each host.
 */
export function containerHostProvider(release: HostRelease): HostProvider {
  let image: { tag: string; versions: Readonly<Record<string, string>> } | undefined;
  const prepare = async (log: (line: string) => void): Promise<Readonly<Record<string, string>>> => {
    if (!image) {
      try {
        await ensureDockerEngine(log);
      } catch (err) {
        throw new UsageError(`no Docker engine: ${(err as Error).message}`, 'run `npx cutover setup` as root');
      }
      await reapStaleContainers(log);
      ensureContainerWatchdog();
      const built = await ensureHostImage(release, log);
      image = { tag: built.tag, versions: built.versions };
    }
    return { image: image.tag, release, ...image.versions };
  };
  return {
    kind: 'container',
    features: new Set(['controls', 'daemon-settings'] as const),
    prepare,
    async create(specs, runDir, clock) {
      await prepare(() => {});
      const { tag, versions } = image as NonNullable<typeof image>;
      const runId = randomUUID().slice(0, 8);
      const network = `cutover-${runId}`;
      const labels = Object.entries(ownershipLabels(runId)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
      await docker(['network', 'create', ...labels, network]);
      const group = new NetworkGroup(network, specs.length);
      const starts = await Promise.allSettled(
        specs.map(async (spec) => {
          const workDir = join(runDir, spec.name);
          await mkdir(workDir, { recursive: true });
          const started = await startHostContainer({ spec, image: tag, network, runDir, workDir, runId });
          const host = new ContainerHost(
            spec.name,
            workDir,
            started.id,
            started.address,
            { image: tag, ...versions },
            group,
            clock,
          );
          host.keepalive = spec.keepalive ?? IMAGE_KEEPALIVE;
          return host;
        }),
      );
      const failed = starts.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (!failed) return starts.map((s) => (s as PromiseFulfilledResult<ContainerHost>).value);
      // Only once every start has ended: a sibling still starting would outlive the removal.
      await removeByRun(runId);
      await docker(['network', 'rm', network]).catch(() => undefined);
      throw failed.reason;
    },
    async removeLeftovers(log) {
      await removeSession(process.pid, log);
    },
  };
}

/** The scenario's network goes when its last host has gone. */
class NetworkGroup {
  constructor(
    readonly name: string,
    private remaining: number,
  ) {}
  async release(): Promise<void> {
    if (--this.remaining === 0) await docker(['network', 'rm', this.name]).catch(() => undefined);
  }
}

async function removeByRun(runId: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${RUN_LABEL}=${runId}`]).catch(() => ''))
    .split('\n')
    .filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids], 60_000).catch(() => undefined);
}

/** What cutover-host-init writes into libvirtd.conf and qemu.conf when a scenario sets none (libvirt's defaults). */
const IMAGE_KEEPALIVE: Keepalive = { interval: 5, count: 5 };

class ContainerHost implements Host {
  readonly kind = 'container' as const;
  readonly controls: HostControls;
  keepalive?: Keepalive;
  private closed = false;

  constructor(
    readonly name: string,
    readonly workDir: string,
    readonly containerId: string,
    readonly address: string,
    readonly description: Readonly<Record<string, string>>,
    private readonly network: NetworkGroup,
    private readonly clock: Clock,
  ) {
    // The link is the interface that carries the host's address on the scenario's network.
    const link = (state: 'up' | 'down') => async (): Promise<void> => {
      const iface = `$(ip -o -4 addr show | awk '$4 ~ /^${address.replace(/\./g, '\\.')}\\// {print $2}' | head -n1)`;
      await this.mustExec(['sh', '-c', `set -e; i=${iface}; test -n "$i"; ip link set "$i" ${state}`]);
    };
    this.controls = {
      pause: async () => void (await docker(['pause', containerId])),
      resume: async () => void (await docker(['unpause', containerId])),
      cutLink: link('down'),
      healLink: link('up'),
    };
  }

  /** One QEMU per image: the one its Debian release ships. */
  async emulators(): Promise<ReadonlyArray<Emulator>> {
    const version = this.description.qemu;
    return version
      ? [{ version, command: 'qemu-system-x86_64', prefixArgs: [], origin: this.description.image ?? 'host image' }]
      : [];
  }

  /** A container's own /dev/shm is small (64 MiB): its shared folder holds guest RAM. */
  get memoryDir(): string {
    return this.workDir;
  }

  exec(argv: ReadonlyArray<string>, options: { timeoutMs: number }): Promise<ExecResult> {
    return dockerResult(['exec', this.containerId, ...argv], options.timeoutMs);
  }

  private async mustExec(argv: string[]): Promise<string> {
    const result = await this.exec(argv, { timeoutMs: 20_000 });
    if (result.code !== 0) throw new Error(`${this.name}: ${argv.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** A process inside the container; its pid file lets signals reach it from outside. */
  spawn(request: SpawnRequest): HostProcess {
    const pidFile = `/run/cutover-${request.label}.pid`;
    const script = `echo $$ > ${pidFile}; exec "$@" >> '${request.logPath}' 2>&1`;
    const exec = dockerResult(
      ['exec', this.containerId, 'sh', '-c', script, 'sh', request.command, ...request.args],
      24 * 3600_000,
    );
    let alive = true;
    const exited: Promise<ProcessExit> = exec.then(
      (r) => ((alive = false), { code: r.code, signal: null, t: this.clock() }),
      () => ((alive = false), { code: null, signal: null, t: this.clock() }),
    );
    const signal = (sig: NodeJS.Signals): void => {
      void this.exec(['sh', '-c', `kill -${sig.replace('SIG', '')} $(cat ${pidFile})`], { timeoutMs: 10_000 }).catch(
        () => undefined,
      );
    };
    return {
      pid: -1,
      label: request.label,
      exited,
      get alive() {
        return alive;
      },
      signal,
      async stop(graceMs = 3000) {
        if (!alive) return exited;
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }

  async collectLogs(): Promise<Array<{ label: string; path: string }>> {
    const wanted = [
      {
        label: `libvirtd log (${this.name})`,
        file: '/var/log/libvirt/libvirtd.log',
        name: `libvirtd-${this.name}.log`,
      },
      { label: `host init log (${this.name})`, file: '/var/log/cutover-init.log', name: `init-${this.name}.log` },
    ];
    const kept: Array<{ label: string; path: string }> = [];
    for (const w of wanted) {
      // The last 4 MiB: a daemon left at debug level can log far more.
      const out = await this.exec(['tail', '-c', String(4 * 1024 * 1024), w.file], { timeoutMs: 10_000 }).catch(
        () => undefined,
      );
      if (out?.code !== 0 || !existsSync(this.workDir)) continue;
      const path = join(this.workDir, w.name);
      await writeFile(path, out.stdout);
      kept.push({ label: w.label, path });
    }
    return kept;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await docker(['rm', '-f', '-v', this.containerId], 60_000).catch(() => undefined);
    await this.network.release();
  }
}

export type { HostSpec };
