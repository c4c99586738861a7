import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../util/clock.ts';
import { UsageError } from '../../util/errors.ts';
import type {
  EmulatedDaemonSettings,
  Emulator,
  ExecResult,
  Host,
  HostProcess,
  HostProvider,
  Keepalive,
  SpawnRequest,
  SpiceClientProgram,
} from '../types.ts';
import { spawnChild } from './child.ts';
import { findEmulators, SYSTEM_QEMU } from './emulators.ts';
import { memoryDirFor } from './registry.ts';
import { exec } from '../../util/command.ts';

/**
 * What sets apart a kind of host that is, like process hosts, a folder on this machine whose
 * processes are the harness's children: its name, what it asks of the machine, its QEMUs.
 */
export interface LocalHostKind {
  readonly kind: 'process' | 'emulated';
  /** Hosts of this kind honour daemon settings, given to the emulated daemon they run. */
  readonly daemonBugs?: ReadonlyArray<string>;
  prepare(): Promise<Readonly<Record<string, string>>>;
  emulators(): Promise<ReadonlyArray<Emulator>>;
  /** The SPICE client its QEMUs need, when it is not remote-viewer. */
  spiceClient?(): Promise<SpiceClientProgram>;
  /** Commands its hosts answer with programs of their own (an emulated host's qemu-img): name -> argv prefix. */
  tools?(): Promise<Readonly<Record<string, ReadonlyArray<string>>>>;
}

/** Hosts that are folders on this machine; their processes are children of the harness. */
export function processHostProvider(remember: (pid: number) => Promise<void> = async () => {}): HostProvider {
  return localHostProvider({ kind: 'process', prepare: machineQemu, emulators: machineEmulatorsOnce }, remember);
}

/** The machine's own QEMU must be there; the host images' newer ones are a bonus. */
async function machineQemu(): Promise<Record<string, string>> {
  const own = (await machineEmulatorsOnce()).find((e) => e.command === SYSTEM_QEMU);
  if (!own)
    throw new UsageError(
      `QEMU not found: '${SYSTEM_QEMU}' is not installed or not on PATH`,
      'run `npx cutover setup`, or `apt-get install qemu-system-x86`',
    );
  return { qemu: own.version };
}

export function localHostProvider(
  local: LocalHostKind,
  remember: (pid: number) => Promise<void> = async () => {},
): HostProvider {
  return {
    kind: local.kind,
    features: new Set(local.daemonBugs ? (['loopback', 'daemon-settings'] as const) : (['loopback'] as const)),
    prepare: () => local.prepare(),
    async create(specs, runDir, clock) {
      const tuned = specs.find((s) => s.hostUuid || s.workers || s.keepalive);
      if (tuned && !local.daemonBugs)
        throw new UsageError(
          `host '${tuned.name}' has daemon settings, which ${local.kind} hosts cannot honour`,
          'use --hosts container',
        );
      return Promise.all(
        specs.map(async ({ name, ...settings }) => {
          const workDir = join(runDir, name);
          await mkdir(workDir, { recursive: true });
          await mkdir(memoryDirFor(workDir), { recursive: true });
          const host = new LocalHost(local, name, workDir, clock, remember);
          if (local.daemonBugs) {
            host.emulatedDaemon = { ...settings, bugs: local.daemonBugs };
            if (settings.keepalive) host.keepalive = settings.keepalive;
          }
          return host;
        }),
      );
    },
  };
}

let machineEmulators: Promise<Emulator[]> | undefined;

/** Found once per run: every host of a process run is this same machine. */
function machineEmulatorsOnce(): Promise<Emulator[]> {
  machineEmulators ??= findEmulators();
  return machineEmulators;
}

class LocalHost implements Host {
  get kind(): 'process' | 'emulated' {
    return this.local.kind;
  }
  readonly address = '127.0.0.1';
  get spiceClient(): (() => Promise<SpiceClientProgram>) | undefined {
    return this.local.spiceClient?.bind(this.local);
  }
  get memoryDir(): string {
    return memoryDirFor(this.workDir);
  }
  readonly description = {};
  emulatedDaemon?: EmulatedDaemonSettings;
  keepalive?: Keepalive;
  private readonly children: HostProcess[] = [];

  constructor(
    private readonly local: LocalHostKind,
    readonly name: string,
    readonly workDir: string,
    private readonly clock: Clock,
    private readonly remember: (pid: number) => Promise<void>,
  ) {}

  spawn(request: SpawnRequest): HostProcess {
    const child = spawnChild(request, this.clock);
    this.children.push(child);
    void this.remember(child.pid).catch(() => {});
    return child;
  }

  emulators(): Promise<ReadonlyArray<Emulator>> {
    return this.local.emulators();
  }

  async exec(argv: ReadonlyArray<string>, options: { timeoutMs: number }): Promise<ExecResult> {
    const [command, ...args] = argv;
    const tool = command !== undefined ? (await this.local.tools?.())?.[command] : undefined;
    return exec(tool ? [...tool, ...args] : argv, options.timeoutMs);
  }

  /** A process host's logs are its children's, which the driver already keeps. */
  async collectLogs(): Promise<Array<{ label: string; path: string }>> {
    return [];
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop(2000).catch(() => undefined)));
    await rm(this.memoryDir, { recursive: true, force: true });
  }
}
