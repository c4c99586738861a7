import type { Host } from '../hosts/types.ts';
import { parseKeyValues } from './virsh.ts';

/** libvirtd's worker pool as virt-admin reports it. */
export interface ThreadPool {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly nWorkers: number;
  readonly freeWorkers: number;
  readonly prioWorkers: number;
  readonly jobQueueDepth: number;
}

export function parseThreadPool(text: string): ThreadPool {
  const kv = parseKeyValues(text);
  const n = (key: string): number => {
    const value = Number(kv[key]);
    if (!Number.isFinite(value)) throw new Error(`virt-admin gave no ${key}: ${text.trim().slice(0, 200)}`);
    return value;
  };
  return {
    minWorkers: n('minWorkers'), maxWorkers: n('maxWorkers'), nWorkers: n('nWorkers'),
    freeWorkers: n('freeWorkers'), prioWorkers: n('prioWorkers'), jobQueueDepth: n('jobQueueDepth'),
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
