import { performance } from 'node:perf_hooks';
import type { Host } from '../hosts/types.ts';
import { readThreadPool } from '../libvirt/admin.ts';
import { hostUri, virsh, VirshError } from '../libvirt/virsh.ts';
import type { Clock } from '../util/clock.ts';
import type { CallProbe, DaemonSample } from './types.ts';

// What a management daemon is doing, seen from outside: its worker pool (virt-admin, which
// has workers of its own) and whether calls of each priority get an answer.

export async function sampleDaemons(hosts: Iterable<Host>, clock: Clock): Promise<DaemonSample[]> {
  const samples = await Promise.all(
    [...hosts].map(async (host) => {
      const pool = await readThreadPool(host, 3000).catch(() => undefined);
      return pool ? { t: clock(), host: host.name, pool } : undefined;
    }),
  );
  return samples.filter((s): s is DaemonSample => s !== undefined);
}

/** libvirt serves high-priority calls from its own workers even when the others are busy. */
const CALLS = {
  list: { priority: 'high', args: () => ['list', '--all'] },
  domstate: { priority: 'high', args: (guest: string) => ['domstate', guest] },
  destroy: { priority: 'high', args: (guest: string) => ['destroy', guest] },
  domjobinfo: { priority: 'low', args: (guest: string) => ['domjobinfo', guest] },
} as const;

export type ProbeCall = keyof typeof CALLS;

export async function probeCall(host: Host, call: ProbeCall, guest: string, withinMs: number, clock: Clock): Promise<CallProbe> {
  const spec = CALLS[call];
  const t = clock();
  const started = performance.now();
  const base = { t, host: host.name, call: `virsh ${spec.args(guest).join(' ')}`, priority: spec.priority };
  try {
    const out = await virsh(hostUri(host.address), spec.args(guest), withinMs);
    return { ...base, outcome: 'answered', latencyMs: round(performance.now() - started), detail: out.trim().slice(0, 200) };
  } catch (err) {
    const latencyMs = round(performance.now() - started);
    if (err instanceof VirshError) return { ...base, outcome: 'error', latencyMs, detail: err.libvirtMessage };
    return { ...base, outcome: 'no-answer', latencyMs, detail: (err as Error).message };
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;
