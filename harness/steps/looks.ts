import type { GuestHandle, Side } from '../drivers/types.ts';
import type { UnansweredLook } from '../observation/history.ts';
import { grantedWait } from '../util/clock.ts';
import { DeadlineError, sleep, withDeadline } from '../util/deadline.ts';
import { Unavailable, WaitExpired } from '../util/errors.ts';
import type { RunContext } from './context.ts';

// Looks after the fact (a state, a stop before memory is read, a memory dump, a SPICE query,
// an inventory) ask an implementation that may no longer answer: QEMU 7.2's destination left
// in postcopy-paused answers query-status but never `stop`, and its monitor answers nothing
// after that. Each look has its bound; what does not come is recorded for the judges (an
// 'unanswered' entry, the step's outcome), never turned into cutover's own error.

/** A state, a stop, a SPICE query: milliseconds when answered; the built-in drivers give up after 5 s (states) to 30 s. */
export const ANSWER_MS = 10_000;
/** One memory dump (pmemsave, up to 100 MiB, into a file): under a second here; the built-in drivers give up after 60 s. */
export const DUMP_MS = 45_000;
/** One host's inventory: several calls per guest (libvirt: list, then domuuid and domstate, 10 s each). */
export const INVENTORY_MS = 40_000;
/** How long a process whose call failed may take to be seen ended (its monitor closes a moment before). */
const EXIT_GRACE_MS = 1000;

/** A bound in the run's milliseconds, never shorter in wall time (what answers is a real program). */
export const lookBound = (ms: number): number => grantedWait(ms, ms);

/** What a look is about, as its 'unanswered' entry says. */
export interface LookAt {
  readonly look: UnansweredLook;
  readonly guest?: string;
  readonly side?: Side;
  readonly host?: string;
}

/** Records a look the implementation left unanswered. */
export function recordUnanswered(
  ctx: Pick<RunContext, 'history'>,
  at: LookAt,
  cause: 'deadline' | 'error',
  boundMs: number,
  detail: string,
): void {
  ctx.history.append({ type: 'unanswered', ...at, cause, boundMs, detail });
}

/**
 * The implementation's answer to `ask` within `boundMs` (run's milliseconds). When none
 * comes, the look is recorded as unanswered and WaitExpired thrown: the step's outcome is
 * 'deadline', and the steps after it that only look still play. Errors pass through.
 */
export async function answerWithin<T>(
  ctx: Pick<RunContext, 'history'>,
  at: LookAt,
  what: string,
  boundMs: number,
  ask: () => Promise<T>,
): Promise<T> {
  try {
    return await withDeadline(what, boundMs, Promise.resolve().then(ask));
  } catch (err) {
    if (!(err instanceof DeadlineError)) throw err;
    recordUnanswered(ctx, at, 'deadline', boundMs, err.message);
    throw new WaitExpired(err.message);
  }
}

/**
 * What a failed call of a look means: the guest ended (Unavailable, as its exit says), the
 * look ran out (WaitExpired, recorded already), or the implementation answered with an error
 * while the guest is still there: recorded, and Unavailable with its words.
 */
export async function lookFailed(
  ctx: Pick<RunContext, 'history'>,
  at: LookAt,
  handle: Pick<GuestHandle, 'exited'> | undefined,
  what: string,
  boundMs: number,
  err: unknown,
): Promise<never> {
  if (err instanceof WaitExpired || err instanceof Unavailable) throw err;
  const message = err instanceof Error ? err.message : String(err);
  if (handle && (await endedWithin(handle, EXIT_GRACE_MS)))
    throw new Unavailable(`${what}: the ${at.side ? `${at.side} ` : ''}guest ended meanwhile (${message})`);
  recordUnanswered(ctx, at, 'error', boundMs, `${what}: ${message}`);
  throw new Unavailable(`${what} failed: ${message}`);
}

/** Whether the guest's process ends within ms (at once when it has already). */
export const endedWithin = (handle: Pick<GuestHandle, 'exited'>, ms: number): Promise<boolean> =>
  Promise.race([handle.exited.then(() => true), sleep(ms).then(() => false)]);
