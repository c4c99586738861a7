import type { ThreadPool } from '../types.ts';

// The emulated daemon's worker pool, as libvirt's virThreadPool keeps one: up to maxWorkers
// for every call, prioWorkers more that take only high-priority calls, and a queue for the
// calls no worker is free for. `sharedPriority` (a bug variant) gives high-priority calls no
// workers of their own; `refuseWhenBusy` fails a call that finds no free worker.

export interface PoolSettings {
  readonly min: number;
  readonly max: number;
  readonly priority: number;
}

/** libvirtd.conf's defaults. */
export const DEFAULT_POOL: PoolSettings = { min: 5, max: 20, priority: 5 };

interface Waiting {
  readonly high: boolean;
  readonly start: () => void;
}

export class WorkerPool {
  private busy = 0;
  private busyPriority = 0;
  private readonly queue: Waiting[] = [];

  constructor(
    private readonly settings: PoolSettings,
    private readonly flaws: { sharedPriority?: boolean; refuseWhenBusy?: boolean } = {},
  ) {}

  /** Runs `work` on a worker once one is free for a call of this priority. */
  async run<T>(high: boolean, work: () => Promise<T>): Promise<T> {
    const kind = await this.acquire(high && !this.flaws.sharedPriority);
    try {
      return await work();
    } finally {
      this.release(kind);
    }
  }

  info(): ThreadPool {
    return {
      minWorkers: this.settings.min,
      maxWorkers: this.settings.max,
      nWorkers: this.settings.max,
      freeWorkers: this.settings.max - this.busy,
      prioWorkers: this.settings.priority,
      jobQueueDepth: this.queue.length,
    };
  }

  /** Forgets every call (the daemon died): queued ones never start. */
  reset(): void {
    this.busy = 0;
    this.busyPriority = 0;
    this.queue.length = 0;
  }

  private acquire(high: boolean): Promise<'normal' | 'priority'> {
    const free = this.take(high);
    if (free) return Promise.resolve(free);
    if (this.flaws.refuseWhenBusy)
      return Promise.reject(new Error('no free worker to take the call (refused, not queued)'));
    return new Promise((resolve) => {
      const start = (): void => resolve(this.take(high) ?? 'normal');
      this.queue.push({ high, start });
    });
  }

  private take(high: boolean): 'normal' | 'priority' | undefined {
    if (this.busy < this.settings.max) {
      this.busy++;
      return 'normal';
    }
    if (high && this.busyPriority < this.settings.priority) {
      this.busyPriority++;
      return 'priority';
    }
    return undefined;
  }

  private release(kind: 'normal' | 'priority'): void {
    if (kind === 'priority') this.busyPriority = Math.max(0, this.busyPriority - 1);
    else this.busy = Math.max(0, this.busy - 1);
    // The first queued call that a worker is now free for starts.
    const index = this.queue.findIndex((w) => (kind === 'normal' ? true : w.high));
    if (index < 0) return;
    const [next] = this.queue.splice(index, 1);
    next?.start();
  }
}
