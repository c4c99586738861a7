import { describe, expect, it } from 'vitest';
import { deriveObservation } from './derive.ts';
import { History, HISTORY_FORMAT, historyFromJsonl, historyToJsonl, type HistoryEntry } from './history.ts';

function scenarioHistory(): History {
  let now = 0;
  const history = new History(() => now);
  const at = (t: number): void => void (now = t);
  history.append({
    type: 'begin',
    t: 0,
    format: HISTORY_FORMAT,
    startedAt: '2026-11-30T00:00:00.000Z',
    scenario: { name: 'cancel', file: 'scenarios/mig/cancel.yaml', judges: ['MIG-06'] },
    driver: { name: 'qemu', versions: {}, capabilities: ['postcopy'] },
    hostKind: 'process',
    hosts: { alpha: { kind: 'process', address: '127.0.0.1', description: {}, settings: {} } },
    guests: {
      main: { name: 'cutover-cancel', memoryMiB: 128, uuid: 'u-1' },
      g2: { name: 'cutover-cancel-g2', memoryMiB: 128 },
    },
  });
  at(10);
  history.append({
    type: 'guest',
    guest: 'main',
    side: 'source',
    host: 'alpha',
    emulatorVersion: '7.2.22',
    accelerator: 'tcg',
  });
  history.append({ type: 'progress', t: 20, guest: 'main', side: 'source', text: 'ABB' });
  history.append({ type: 'progress', t: 25, guest: 'g2', side: 'source', text: 'B' });
  at(30);
  history.append({
    type: 'migrate',
    guest: 'main',
    from: 'alpha',
    to: 'alpha',
    unreachable: false,
    settings: { transport: 'unix' },
  });
  history.append({
    type: 'event',
    t: 31,
    guest: 'main',
    event: { t: 31, side: 'source', name: 'MIGRATION', migrationStatus: 'active' },
  });
  history.append({
    type: 'event',
    t: 32,
    guest: 'g2',
    event: { t: 32, side: 'source', name: 'MIGRATION', migrationStatus: 'setup' },
  });
  at(40);
  history.append({ type: 'action', guest: 'main', action: 'cancel' });
  history.append({
    type: 'fault',
    t: 41,
    kind: 'kill',
    target: { guest: 'main', side: 'destination' },
    placement: 'now',
    outcome: 'struck',
    detail: 'SIGKILL',
  });
  history.append({
    type: 'fault',
    t: 42,
    kind: 'thaw',
    target: { guest: 'main', side: 'destination' },
    placement: 'after 1 s',
    outcome: 'never',
  });
  history.append({
    type: 'exit',
    t: 43,
    guest: 'main',
    side: 'destination',
    exit: { code: null, signal: 'SIGKILL', t: 43 },
  });
  history.append({ type: 'state', t: 50, guest: 'main', side: 'source', state: 'running' });
  history.append({ type: 'step', t: 55, index: 0, do: 'cancel', startedAt: 40, outcome: 'ok' });
  history.append({ type: 'final', t: 60, guest: 'main', info: { status: 'cancelled' } });
  history.append({ type: 'end', t: 61 });
  history.close();
  return history;
}

describe('history', () => {
  it('stamps entries with the scenario clock unless they carry their own time, and keeps them by type', () => {
    const history = scenarioHistory();
    expect(history.of('guest')[0]?.t).toBe(10);
    expect(history.of('progress').map((p) => p.t)).toEqual([20, 25]);
    expect(history.of('event', (e) => e.guest === 'g2')).toHaveLength(1);
  });

  it('takes nothing after it closed (the teardown is not the scenario)', () => {
    const history = scenarioHistory();
    const before = history.entries.length;
    history.append({ type: 'exit', t: 99, guest: 'main', side: 'source', exit: { code: 0, signal: null, t: 99 } });
    expect(history.entries).toHaveLength(before);
  });

  it('wakes a wait at the next entry of the type it waits for, not at others', async () => {
    const history = new History(() => 0);
    const woke: string[] = [];
    const wait = history.next(['event'], 1000).then(() => woke.push('event'));
    history.append({ type: 'progress', guest: 'main', side: 'source', text: 'B' });
    await new Promise((r) => setTimeout(r, 5));
    expect(woke).toEqual([]);
    history.append({ type: 'event', guest: 'main', event: { t: 0, side: 'source', name: 'STOP' } });
    await wait;
    expect(woke).toEqual(['event']);
  });

  it("keeps the implementation's answer to an action it refused", () => {
    const history = scenarioHistory();
    const entries = [
      ...history.entries.slice(0, -1),
      {
        type: 'action' as const,
        t: 58,
        guest: 'main',
        action: 'recover' as const,
        refused: 'migrate-recover: not now',
      },
      ...history.entries.slice(-1),
    ];
    expect(deriveObservation(entries).actions.at(-1)).toEqual({
      t: 58,
      guest: 'main',
      action: 'recover',
      refused: 'migrate-recover: not now',
    });
  });

  it('derives the observation judges read: per guest, cancel and final, struck faults only, actions', () => {
    const obs = deriveObservation(scenarioHistory().entries);
    expect(obs.format).toBe(HISTORY_FORMAT);
    expect(obs.durationMs).toBe(61);
    expect(obs.driver).toMatchObject({
      name: 'qemu',
      versions: { qemu: '7.2.22' },
      accelerator: 'tcg',
      capabilities: ['postcopy'],
    });
    expect(obs.progress.source).toEqual({ boots: [20], passes: [20, 20] });
    expect(obs.events.map((e) => e.migrationStatus)).toEqual(['active']);
    expect(obs.migration).toMatchObject({
      requestedAt: 30,
      cancelRequestedAt: 40,
      final: { status: 'cancelled' },
      from: 'alpha',
    });
    expect(obs.faults).toEqual([
      { t: 41, kind: 'kill', target: { guest: 'main', side: 'destination' }, placement: 'now', detail: 'SIGKILL' },
    ]);
    expect(obs.actions).toEqual([{ t: 40, guest: 'main', action: 'cancel' }]);
    expect(obs.exits.destination?.signal).toBe('SIGKILL');
    expect(obs.steps).toEqual([{ index: 0, do: 'cancel', startedAt: 40, endedAt: 55, outcome: 'ok' }]);
    expect(obs.guests.g2?.progress.source.passes).toEqual([25]);
    expect(obs.guests.g2?.events).toHaveLength(1);
    expect(obs.guest).toMatchObject({ name: 'cutover-cancel', uuid: 'u-1', emulators: { source: '7.2.22' } });
  });

  it('reads back from its stored lines as it was, and refuses another format', () => {
    const entries = scenarioHistory().entries;
    const again: HistoryEntry[] = historyFromJsonl(historyToJsonl(entries));
    expect(deriveObservation(again)).toEqual(deriveObservation(entries));
    const old = again.map((e) => (e.type === 'begin' ? { ...e, format: 1 } : e)) as unknown as HistoryEntry[];
    expect(() => deriveObservation(old)).toThrow(/format 1/);
  });
});
