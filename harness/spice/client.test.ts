import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBlackhole, type Blackhole } from '../network/blackhole.ts';
import { monotonicClock } from '../util/clock.ts';
import { pollUntil } from '../util/deadline.ts';
import { clientArguments, clientEnvironment, spiceUri, startSpiceClient, type SpiceClient } from './client.ts';
import { onPath } from '../util/path.ts';
import { startDisplay, type Display } from './display.ts';

/** State letter from /proc (R, S, T, Z...), or undefined when the pid is gone. */
const procState = (pid: number): string | undefined => {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
};
const alive = (pid: number): boolean => {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
};

/** Every live process whose parent chain leads to pid. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/^\d+ \(.*\) \S (\d+)/.exec(readFileSync(`/proc/${entry}/stat`, 'utf8'))?.[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  for (const [child] of parent) {
    for (let p = parent.get(child); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === pid) {
        found.push(child);
        break;
      }
    }
  }
  return found;
}

describe('client arguments', () => {
  it('asks remote-viewer for debug output and no audio, USB or session bus', () => {
    expect(clientArguments('spice://127.0.0.1:5930')).toEqual([
      '--debug',
      '--spice-disable-audio',
      '--spice-disable-usbredir',
      '--title',
      'cutover',
      'spice://127.0.0.1:5930',
    ]);
    expect(clientArguments('spice://h:1', { spiceDebug: true })).toContain('--spice-debug');
    expect(clientEnvironment(':93')).toMatchObject({ DISPLAY: ':93', NO_AT_BRIDGE: '1', GSETTINGS_BACKEND: 'memory' });
  });

  it('brackets IPv6 hosts in the URI', () => {
    expect(spiceUri('127.0.0.1', 5930)).toBe('spice://127.0.0.1:5930');
    expect(spiceUri('::1', 5930)).toBe('spice://[::1]:5930');
  });
});

describe.skipIf(!onPath('Xvfb') || !onPath('remote-viewer'))(
  'remote-viewer lifecycle (real Xvfb, blackholed SPICE port)',
  () => {
    let dir = '';
    let display: Display;
    let hole: Blackhole;
    let client: SpiceClient | undefined;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'spice-client-'));
      display = await startDisplay({ logPath: join(dir, 'xvfb.log') });
    });
    afterEach(async () => {
      await client?.kill();
      client = undefined;
      await hole?.close();
    });
    afterAll(async () => {
      await display?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const start = async (): Promise<SpiceClient> => {
      hole = await startBlackhole();
      client = await startSpiceClient({
        host: hole.host,
        port: hole.port,
        display: display.display,
        logPath: join(dir, 'remote-viewer.log'),
        clock: monotonicClock,
      });
      // It reached the port and sent its link message (and got nothing back).
      await pollUntil(
        'remote-viewer to dial the blackhole',
        10_000,
        () => (hole.bytesReceived > 0 ? true : undefined),
        50,
      );
      return client;
    };

    it('starts, dials the port and can be frozen, thawed and stopped, leaving nothing behind', async () => {
      const c = await start();
      expect(c.alive).toBe(true);
      expect(c.uri).toBe(`spice://127.0.0.1:${hole.port}`);
      expect(readFileSync(`/proc/${c.pid}/environ`, 'utf8').split('\0')).toContain(`DISPLAY=${display.display}`);
      const children = descendants(c.pid);

      c.freeze();
      await pollUntil('remote-viewer to stop', 2000, () => (procState(c.pid) === 'T' ? true : undefined), 20);
      expect(c.frozen).toBe(true);
      c.thaw();
      await pollUntil('remote-viewer to run again', 2000, () => (procState(c.pid) !== 'T' ? true : undefined), 20);
      expect(c.frozen).toBe(false);

      // Stopping a frozen client still ends it on SIGTERM (it is sent SIGCONT too).
      c.freeze();
      await c.stop();
      expect((await c.exited).signal).toBe('SIGTERM');
      expect(c.alive).toBe(false);
      expect(alive(c.pid)).toBe(false);
      for (const pid of children) expect(alive(pid)).toBe(false);
      expect(hole.open).toBe(0);
    });

    it('kill() ends it at once with SIGKILL', async () => {
      const c = await start();
      await c.kill();
      expect((await c.exited).signal).toBe('SIGKILL');
      expect(alive(c.pid)).toBe(false);
      await pollUntil('the connection to drop', 2000, () => (hole.open === 0 ? true : undefined), 20);
      expect(() => c.freeze()).toThrow(/not running/);
    });

    it('fails at once with the reason when it cannot start', async () => {
      // On a loaded machine it may take longer than the start's 100 ms look to give up: then
      // the client it returned must end, with a failure, soon after.
      const outcome = await startSpiceClient({
        host: '127.0.0.1',
        port: 1,
        display: ':9999',
        logPath: join(dir, 'bad.log'),
        clock: monotonicClock,
      }).then(
        async (client) => {
          const exit = await Promise.race([client.exited, new Promise((r) => setTimeout(r, 10_000, undefined))]);
          await client.stop();
          return `returned, then ended with ${JSON.stringify(exit)}`;
        },
        (err: Error) => err.message,
      );
      expect(outcome).toMatch(/remote-viewer exited at once|returned, then ended with .*"code":[1-9]/);
    });
  },
);
