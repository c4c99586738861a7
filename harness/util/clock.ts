import { performance } from 'node:perf_hooks';

// One clock for cutover and its emulators. On emulated hosts it may run faster than the wall
// clock (`cutover run --time-scale N`): every timestamp, wait and deadline of the harness,
// the emulated QEMU and the emulated daemon is then in emulated milliseconds, N of them per
// wall millisecond, so a 10 s SPICE handover or a 127 s SYN timeout costs a tenth of it at
// N = 10. What only real programs and kernels decide (a process's start, a file's write)
// takes N times longer on that clock; the verdicts judge the implementation's own waits.
// The scale travels in the environment, so every process of the run (vitest's workers, the
// emulated QEMUs) reads the same one.

/** Milliseconds on one monotonic clock, so QMP events and serial characters compare. */
export type Clock = () => number;

export const TIME_SCALE_ENV = 'CUTOVER_TIME_SCALE';
/** The fastest clock a run may ask for: beyond it the machine's lag (100-200 ms of wall time) grows past 4 s of the run's, wider than most bounds judged. */
export const MAX_TIME_SCALE = 20;

/** Emulated milliseconds per wall millisecond: 1 unless the run asked for a faster clock. */
export const timeScale: number = parseTimeScale(process.env[TIME_SCALE_ENV]);

export function parseTimeScale(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 1 || scale > MAX_TIME_SCALE) {
    throw new Error(`${TIME_SCALE_ENV}=${text}: the time scale is a number from 1 to ${MAX_TIME_SCALE}`);
  }
  return scale;
}

/** Now, in milliseconds on the run's clock. */
export const monotonicClock: Clock = () => performance.now() * timeScale;

/** A clock that reads 0 at its creation: scenario timelines start at zero. */
export function clockFrom(origin: number = monotonicClock()): Clock {
  return () => monotonicClock() - origin;
}

/** setTimeout on the run's clock. */
export function after(ms: number, run: () => void): NodeJS.Timeout {
  return setTimeout(run, ms / timeScale);
}

/** setInterval on the run's clock. */
export function every(ms: number, run: () => void): NodeJS.Timeout {
  return setInterval(run, ms / timeScale);
}

/** A bound on what takes wall time whatever the clock (a program's start), in the run's milliseconds. */
export function wallTime(ms: number): number {
  return ms * timeScale;
}

/**
 * A wait granted to the implementation (a status, a pass, an exit): on a faster clock never
 * shorter than its length in wall time up to `floorMs`, for the real programs on its way (a
 * QEMU's start, a daemon's spawn) keep the wall's pace whatever the clock.
 */
export function grantedWait(ms: number, floorMs = 5000): number {
  return timeScale === 1 ? ms : Math.max(ms, wallTime(Math.min(ms, floorMs)));
}
