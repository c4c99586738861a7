// Probes of a daemon through a driver whose probe never returns (a vendor's, with no bound of
// its own): the call is recorded as unanswered by the step's own bound, not waited for.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DaemonFacet, ProbeResult, ThreadPool } from '../drivers/types.ts';
import { History } from '../observation/history.ts';
import type { RunContext } from './context.ts';
import { probeCalls } from './probe-calls.ts';

function context(daemons: Partial<DaemonFacet>): { ctx: RunContext; history: History } {
  const history = new History(() => 0);
  const ctx = {
    capabilities: new Set(['daemon-pools']),
    driver: { name: 'silent', daemons },
    hosts: new Map([['beta', { name: 'beta' }]]),
    fleet: new Map([['main', { key: 'main', spec: { name: 'g1' } }]]),
    history,
    clock: () => 0,
  };
  return { ctx: ctx as unknown as RunContext, history };
}

describe('probe-calls through a driver whose probe never returns', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('records no-answer once the step waited `within` and 10 s more, and keeps the answers that came', async () => {
    const answered: ProbeResult = { call: 'list', priority: 'high', outcome: 'answered', latencyMs: 3 };
    const { ctx, history } = context({
      pool: () => new Promise<ThreadPool>(() => {}),
      probe: async (_host, call) => (call === 'list' ? answered : new Promise<ProbeResult>(() => {})),
    });
    const played = probeCalls.play(ctx, {
      do: 'probe-calls',
      host: 'beta',
      calls: ['list', 'domjobinfo'],
      guest: undefined,
      within: 2000,
    });
    await vi.advanceTimersByTimeAsync(10_000 + 12_000 + 10_000); // the pools before, the probes, the pools after
    await expect(played).resolves.toBe('list: answered in 3 ms; domjobinfo g1: no-answer in 12 s');
    expect(history.of('call').map(({ call, outcome, detail }) => ({ call, outcome, detail }))).toEqual([
      { call: 'list', outcome: 'answered', detail: undefined },
      { call: 'domjobinfo g1', outcome: 'no-answer', detail: "the silent driver's probe did not return within 12 s" },
    ]);
    expect(history.of('pool')).toEqual([]);
  });
});
