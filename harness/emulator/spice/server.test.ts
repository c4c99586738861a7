import { afterEach, describe, expect, it, vi } from 'vitest';
import { freeLoopbackPort } from '../../drivers/qemu/ports.ts';
import { EmulatedSpiceClient } from './client.ts';
import { MIGRATE_TIMEOUT_MS, SpiceServer, type SpiceBugs } from './server.ts';

// The emulated SPICE server and client together, in one process: the session the client
// opens, the seamless switch to the target, and the bounds on SPICE_MIGRATE_COMPLETED.

const CORRECT: SpiceBugs = {
  restartsSessions: false,
  waitsForClient: false,
  delaysWithoutClient: false,
  dropsClientOnCancel: false,
};
const opened: SpiceServer[] = [];

async function server(bugs: Partial<SpiceBugs> = {}): Promise<{ spice: SpiceServer; events: string[]; port: number }> {
  const events: string[] = [];
  const port = await freeLoopbackPort();
  const spice = new SpiceServer({ host: '127.0.0.1', port }, { ...CORRECT, ...bugs }, (e) => events.push(e));
  await spice.listen();
  opened.push(spice);
  return { spice, events, port };
}

const channels = (s: SpiceServer) => s.status().channels as Array<{ 'connection-id': number }>;
const until = (check: () => boolean) => vi.waitFor(() => expect(check()).toBe(true), { timeout: 3000, interval: 10 });

async function connectedClient(port: number): Promise<{ ended: number[] }> {
  const ended: number[] = [];
  await new EmulatedSpiceClient(
    () => undefined,
    (code) => ended.push(code),
  ).open({ host: '127.0.0.1', port });
  return { ended };
}

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

describe('emulated SPICE', () => {
  it('hands a session over seamlessly: same connection id at the target, then SPICE_MIGRATE_COMPLETED', async () => {
    const source = await server();
    const target = await server();
    await connectedClient(source.port);
    await until(() => channels(source.spice).length === 4);
    const session = channels(source.spice)[0]?.['connection-id'];
    source.spice.migrateInfo('127.0.0.1', target.port);
    source.spice.migrationCompleted();
    await until(() => source.events.includes('SPICE_MIGRATE_COMPLETED'));
    expect(source.events.slice(-2)).toEqual(['SPICE_DISCONNECTED', 'SPICE_MIGRATE_COMPLETED']);
    expect(source.spice.status().migrated).toBe(true);
    await until(() => channels(target.spice).length === 4);
    expect(new Set(channels(target.spice).map((c) => c['connection-id']))).toEqual(new Set([session]));
  });

  it('gives up on a client that cannot follow after MIGRATE_TIMEOUT, and not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const source = await server();
      source.spice.migrateInfo('127.0.0.1', 1); // nothing listens there
      source.spice.migrationCompleted(); // no client: at once
      expect(source.events).toEqual(['SPICE_MIGRATE_COMPLETED']);
      const stalled = await server({ delaysWithoutClient: true });
      stalled.spice.migrationCompleted();
      vi.advanceTimersByTime(MIGRATE_TIMEOUT_MS - 1);
      expect(stalled.events).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(stalled.events).toEqual(['SPICE_MIGRATE_COMPLETED']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the client after a cancel, unless the bug drops it', async () => {
    const kept = await server();
    await connectedClient(kept.port);
    await until(() => channels(kept.spice).length === 4);
    kept.spice.migrationAbandoned();
    const dropped = await server({ dropsClientOnCancel: true });
    const client = await connectedClient(dropped.port);
    await until(() => channels(dropped.spice).length === 4);
    dropped.spice.migrationAbandoned();
    await until(() => client.ended.length === 1);
    expect(channels(kept.spice)).toHaveLength(4);
    expect(channels(dropped.spice)).toHaveLength(0);
  });

  it('restarts a migrating session under a new connection id when the bug is on', async () => {
    const source = await server();
    const target = await server({ restartsSessions: true });
    await connectedClient(source.port);
    await until(() => channels(source.spice).length === 4);
    const session = channels(source.spice)[0]?.['connection-id'];
    source.spice.migrateInfo('127.0.0.1', target.port);
    source.spice.migrationCompleted();
    await until(() => channels(target.spice).length === 4);
    const now = new Set(channels(target.spice).map((c) => c['connection-id']));
    expect(now.size).toBe(1);
    expect(now.has(session ?? -1)).toBe(false);
  });
});
