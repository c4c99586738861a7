import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProcessExit } from '../hosts/types.ts';
import { History } from '../observation/history.ts';
import { Unavailable, WaitExpired } from '../util/errors.ts';
import { answerWithin, lookFailed, type LookAt } from './looks.ts';

const at: LookAt = { look: 'query-spice', guest: 'main', side: 'destination', host: 'beta' };
const never = new Promise<ProcessExit>(() => {});
const ended = Promise.resolve<ProcessExit>({ code: 0, signal: null, t: 5 });

describe('a look after the fact', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('gives the answer that comes within its bound, and records nothing', async () => {
    const history = new History(() => 0);
    await expect(answerWithin({ history }, at, 'query-spice', 10_000, async () => 'channels')).resolves.toBe(
      'channels',
    );
    expect(history.entries).toEqual([]);
  });

  it('records what did not come within its bound, as the step outcome deadline', async () => {
    const history = new History(() => 1234);
    const asked = answerWithin(
      { history },
      at,
      'query-spice on the destination side',
      10_000,
      () => new Promise(() => {}),
    );
    const outcome = expect(asked).rejects.toThrow(
      new WaitExpired('query-spice on the destination side: no answer within 10 s'),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(history.entries).toEqual([
      {
        type: 'unanswered',
        t: 1234,
        ...at,
        cause: 'deadline',
        boundMs: 10_000,
        detail: 'query-spice on the destination side: no answer within 10 s',
      },
    ]);
  });

  it("passes the implementation's errors on to the step", async () => {
    const history = new History(() => 0);
    const failing = async (): Promise<never> => {
      throw new Error('QMP command query-spice failed');
    };
    await expect(answerWithin({ history }, at, 'query-spice', 10_000, failing)).rejects.toThrow(/query-spice failed/);
    expect(history.entries).toEqual([]);
  });
});

describe('what a failed look means', () => {
  it("an error while the guest still runs is recorded as unanswered, the step's outcome unavailable", async () => {
    vi.useFakeTimers();
    try {
      const history = new History(() => 7);
      const failed = lookFailed({ history }, at, { exited: never }, 'query-spice', 10_000, new Error('no SPICE'));
      const outcome = expect(failed).rejects.toThrow(new Unavailable('query-spice failed: no SPICE'));
      await vi.advanceTimersByTimeAsync(1000); // the grace for an exit seen late
      await outcome;
      expect(history.entries).toMatchObject([{ type: 'unanswered', cause: 'error', detail: 'query-spice: no SPICE' }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a guest that ended is unavailable, and its exit says the rest', async () => {
    const history = new History(() => 7);
    await expect(
      lookFailed({ history }, at, { exited: ended }, 'query-spice', 10_000, new Error('EOF')),
    ).rejects.toThrow(new Unavailable('query-spice: the destination guest ended meanwhile (EOF)'));
    expect(history.entries).toEqual([]);
  });

  it('a look that ran out stays a deadline', async () => {
    const history = new History(() => 7);
    const late = new WaitExpired('query-spice: no answer within 10 s');
    await expect(lookFailed({ history }, at, { exited: never }, 'query-spice', 10_000, late)).rejects.toBe(late);
    expect(history.entries).toEqual([]);
  });
});
