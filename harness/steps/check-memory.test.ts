// The memory check against a guest whose implementation stops answering: QEMU 7.2's
// destination left in postcopy-paused answers query-status ('running') but never `stop`.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GuestHandle, RunState } from '../drivers/types.ts';
import type { ProcessExit } from '../hosts/types.ts';
import { MigrationLink } from '../network/link.ts';
import { deriveObservation } from '../observation/derive.ts';
import { History, HISTORY_FORMAT } from '../observation/history.ts';
import { Unavailable, WaitExpired } from '../util/errors.ts';
import { checkMemory } from './check-memory.ts';
import type { GuestRun, RunContext } from './context.ts';

function scenario(guest: Partial<GuestHandle>): { ctx: RunContext; history: History } {
  let now = 0;
  const history = new History(() => (now += 1));
  history.append({
    type: 'begin',
    t: 0,
    format: HISTORY_FORMAT,
    startedAt: '2026-12-07T00:00:00.000Z',
    scenario: { name: 'paused', file: 'paused.yaml', judges: ['PCS-02'] },
    driver: { name: 'fake', versions: {}, capabilities: [] },
    hostKind: 'process',
    hosts: {},
    guests: { main: { name: 'g', memoryMiB: 128 } },
  });
  const handle = {
    side: 'destination',
    host: { name: 'beta' },
    exited: new Promise<ProcessExit>(() => {}),
    ...guest,
  } as GuestHandle;
  const run = {
    key: 'main',
    sides: { destination: handle },
    serial: {},
    link: new MigrationLink(),
  } as unknown as GuestRun;
  const ctx = { fleet: new Map([['main', run]]), history, clock: () => now, driver: { name: 'fake' } };
  return { ctx: ctx as unknown as RunContext, history };
}

const step = { do: 'check-memory', guest: undefined, side: 'destination' } as const;

describe('check-memory on a guest that stops answering', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('a stop that never returns: the step runs out after 10 s, and the judges see the check could not be made', async () => {
    const { ctx, history } = scenario({
      runState: async (): Promise<RunState> => 'running',
      pause: () => new Promise<void>(() => {}),
    });
    const played = checkMemory.play(ctx, step);
    const outcome = expect(played).rejects.toThrow(
      new WaitExpired('pausing the destination guest to read its memory: no answer within 10 s'),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    const observation = deriveObservation(history.entries);
    expect(observation.memory.destination).toBeUndefined();
    expect(observation.unanswered).toMatchObject([
      { look: 'check-memory', guest: 'main', side: 'destination', host: 'beta', cause: 'deadline', boundMs: 10_000 },
    ]);
  });

  it('a state query that never returns is a deadline too; nothing is paused', async () => {
    const pause = vi.fn(async () => {});
    const { ctx, history } = scenario({ runState: () => new Promise<RunState>(() => {}), pause });
    const outcome = expect(checkMemory.play(ctx, step)).rejects.toThrow(WaitExpired);
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(pause).not.toHaveBeenCalled();
    expect(history.of('unanswered').map((u) => u.detail)).toEqual([
      "the destination guest's state: no answer within 10 s",
    ]);
  });

  it('a guest that is gone is unavailable, with nothing unanswered', async () => {
    const { ctx, history } = scenario({ runState: async (): Promise<RunState> => 'gone' });
    await expect(checkMemory.play(ctx, step)).rejects.toThrow(
      new Unavailable('no destination guest left to read memory from'),
    );
    expect(history.of('unanswered')).toEqual([]);
  });
});
