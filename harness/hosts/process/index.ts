import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host, HostProcess, HostProvider, SpawnRequest } from '../types.ts';
import type { Clock } from '../../util/clock.ts';
import { spawnChild } from './child.ts';

/** Hosts that are folders on this machine; their processes are children of the harness. */
export function processHostProvider(clock: Clock, remember: (pid: number) => Promise<void> = async () => {}): HostProvider {
  return {
    kind: 'process',
    async create(names, runDir) {
      return Promise.all(
        names.map(async (name) => {
          const workDir = join(runDir, name);
          await mkdir(workDir, { recursive: true });
          return new ProcessHost(name, workDir, clock, remember);
        }),
      );
    },
  };
}

class ProcessHost implements Host {
  readonly kind = 'process' as const;
  private readonly children: HostProcess[] = [];

  constructor(
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

  async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop(2000).catch(() => undefined)));
  }
}
