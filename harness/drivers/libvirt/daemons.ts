import { performance } from 'node:perf_hooks';
import type { Host } from '../../hosts/types.ts';
import { pollUntil } from '../../util/deadline.ts';
import { enablePhaseLog } from './phases.ts';
import {
  PROBE_CALLS,
  type DaemonFacet,
  type DaemonStopSignal,
  type ProbeCall,
  type ProbeResult,
  type ThreadPool,
} from '../types.ts';
import { hostUri, parseKeyValues, virsh, VirshError } from './virsh.ts';

// libvirtd as the daemon facet: its worker pool (virt-admin, which has workers of its own),
// whether calls of each priority get an answer, and the daemon itself as a fault's target.

export const libvirtDaemons: DaemonFacet = {
  pool: (host) => readThreadPool(host, 3000),
  probe: probeCall,
  signal: async (host, signal) => {
    const result = await host.exec(['pkill', `-${signal.slice(3)}`, '-x', 'libvirtd'], { timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`no libvirtd to signal on ${host.name}`);
  },
  restart: restartLibvirtd,
};

export function parseThreadPool(text: string): ThreadPool {
  const kv = parseKeyValues(text);
  const n = (key: string): number => {
    const value = Number(kv[key]);
    if (!Number.isFinite(value)) throw new Error(`virt-admin gave no ${key}: ${text.trim().slice(0, 200)}`);
    return value;
  };
  return {
    minWorkers: n('minWorkers'),
    maxWorkers: n('maxWorkers'),
    nWorkers: n('nWorkers'),
    freeWorkers: n('freeWorkers'),
    prioWorkers: n('prioWorkers'),
    jobQueueDepth: n('jobQueueDepth'),
  };
}

/**
 * The daemon's pool, read inside the host (virt-admin speaks only to the local admin
 * socket). It is answered by the admin server's own workers, so it works during exhaustion.
 */
export async function readThreadPool(host: Host, timeoutMs = 5000): Promise<ThreadPool> {
  const result = await host.exec(['virt-admin', 'server-threadpool-info', 'libvirtd'], { timeoutMs });
  if (result.code !== 0) throw new Error(`virt-admin on ${host.name}: ${result.stderr.trim()}`);
  return parseThreadPool(result.stdout);
}

/** The virsh arguments of each probe call. */
const CALL_ARGS: Record<ProbeCall, (guest: string) => string[]> = {
  list: () => ['list', '--all'],
  domstate: (guest) => ['domstate', guest],
  destroy: (guest) => ['destroy', guest],
  domjobinfo: (guest) => ['domjobinfo', guest],
};

async function probeCall(host: Host, call: ProbeCall, guest: string, withinMs: number): Promise<ProbeResult> {
  const args = CALL_ARGS[call](guest);
  const started = performance.now();
  const base = { call: `virsh ${args.join(' ')}`, priority: PROBE_CALLS[call] };
  try {
    const out = await virsh(hostUri(host.address), args, withinMs);
    return {
      ...base,
      outcome: 'answered',
      latencyMs: round(performance.now() - started),
      detail: out.trim().slice(0, 200),
    };
  } catch (err) {
    const latencyMs = round(performance.now() - started);
    if (err instanceof VirshError) return { ...base, outcome: 'error', latencyMs, detail: err.libvirtMessage };
    return { ...base, outcome: 'no-answer', latencyMs, detail: (err as Error).message };
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * Ends libvirtd with the signal and starts it again, until it answers. A SIGINT or SIGTERM
 * lets it shut down as it would (a frozen daemon is thawed first, so it can); one that has
 * not ended within the grace is killed. Its phase log is turned on again.
 */
async function restartLibvirtd(host: Host, signal: DaemonStopSignal = 'SIGKILL'): Promise<void> {
  const gone = async (): Promise<true | undefined> =>
    (await host.exec(['pgrep', '-x', 'libvirtd'], { timeoutMs: 5000 })).code !== 0 ? true : undefined;
  if (signal !== 'SIGKILL') {
    await host.exec(['pkill', '-CONT', '-x', 'libvirtd'], { timeoutMs: 10_000 });
    await host.exec(['pkill', `-${signal.slice(3)}`, '-x', 'libvirtd'], { timeoutMs: 10_000 });
    await pollUntil(`libvirtd on ${host.name} to shut down`, SHUTDOWN_GRACE_MS, gone, 100).catch(() => undefined);
  }
  await host.exec(['pkill', '-KILL', '-x', 'libvirtd'], { timeoutMs: 10_000 });
  await pollUntil(`libvirtd on ${host.name} to end`, 10_000, gone, 100);
  const started = await host.exec(['sh', '-c', 'rm -f /run/libvirtd.pid; libvirtd -d --listen'], { timeoutMs: 15_000 });
  if (started.code !== 0) throw new Error(`libvirtd did not start again on ${host.name}: ${started.stderr.trim()}`);
  await pollUntil(
    `libvirtd on ${host.name} to answer`,
    30_000,
    async () => {
      const probe = await host
        .exec(['virsh', '-c', 'qemu:///system', 'version'], { timeoutMs: 5000 })
        .catch(() => undefined);
      return probe?.code === 0 ? true : undefined;
    },
    200,
  );
  await enablePhaseLog(host);
}

/** How long a libvirtd asked to end (SIGINT, SIGTERM) gets before it is killed. */
const SHUTDOWN_GRACE_MS = 15_000;
