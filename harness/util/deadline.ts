// Every wait in cutover has a deadline; these helpers make that the easy path. Their
// milliseconds are on the run's clock (util/clock.ts).
import { after, monotonicClock } from './clock.ts';

export class DeadlineError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what}: no answer within ${formatMs(timeoutMs)}`);
    this.name = 'DeadlineError';
  }
}

/** Resolves with the promise's value, or rejects with DeadlineError after timeoutMs. */
export async function withDeadline<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = after(timeoutMs, () => reject(new DeadlineError(what, timeoutMs)));
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => after(ms, resolve));
}

/** Wakes a polling wait as soon as something new arrives, so it need not sleep its interval out. */
export class Wakeup {
  private readonly waiters = new Set<() => void>();

  /** Resolves at the next ring, or after `ms` at the latest. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = after(ms, done);
      this.waiters.add(done);
    });
  }

  ring(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/** Polls `probe` until it returns a value other than undefined, or the deadline passes. */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  intervalMs = 50,
): Promise<T> {
  const end = monotonicClock() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (monotonicClock() >= end) throw new DeadlineError(what, timeoutMs);
    await sleep(Math.min(intervalMs, Math.max(1, end - monotonicClock())));
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}
