import { performance } from 'node:perf_hooks';

/** Milliseconds on one monotonic clock, so QMP events and serial characters compare. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/** A clock that reads 0 at its creation: scenario timelines start at zero. */
export function clockFrom(origin: number = performance.now()): Clock {
  return () => performance.now() - origin;
}
