import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from '../util/path.ts';
import { lockPath, socketPath, startDisplay, x11Handshake, type Display } from './display.ts';

/** Alive and not a zombie (this machine's PID 1 reaps nothing). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

let dir = '';
const displays: Display[] = [];
afterEach(async () => {
  await Promise.all(displays.splice(0).map((d) => d.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe.skipIf(!onPath('Xvfb'))('startDisplay (real Xvfb)', () => {
  it('starts a display that accepts X clients, and stops it without leftovers', async () => {
    dir = await mkdtemp(join(tmpdir(), 'display-'));
    const d = await startDisplay({ logPath: join(dir, 'xvfb.log') });
    displays.push(d);
    expect(d.display).toBe(`:${d.number}`);
    expect(d.number).toBeGreaterThanOrEqual(90);
    expect(d.alive).toBe(true);
    expect(await x11Handshake(d.number, 2000)).toBe('accepted');
    // Only the UNIX socket: no TCP listener on 6000 + n.
    const cmdline = readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toEqual(expect.arrayContaining(['Xvfb', d.display, '-nolisten', 'tcp']));
    await d.stop();
    expect(d.alive).toBe(false);
    expect(alive(d.pid)).toBe(false);
    expect(existsSync(socketPath(d.number))).toBe(false);
    expect(existsSync(lockPath(d.number))).toBe(false);
    await d.stop(); // idempotent
  });

  it('takes the next free number when one is in use', async () => {
    dir = await mkdtemp(join(tmpdir(), 'display-'));
    const a = await startDisplay({ logPath: join(dir, 'a.log') });
    displays.push(a);
    const b = await startDisplay({ logPath: join(dir, 'b.log'), first: a.number });
    displays.push(b);
    expect(b.number).toBeGreaterThan(a.number);
    expect(await x11Handshake(b.number, 2000)).toBe('accepted');
  });

  it('stop() ends Xvfb even when it was already killed from outside', async () => {
    dir = await mkdtemp(join(tmpdir(), 'display-'));
    const d = await startDisplay({ logPath: join(dir, 'xvfb.log') });
    displays.push(d);
    process.kill(d.pid, 'SIGKILL');
    await d.exited;
    // A SIGKILLed Xvfb leaves its lock and socket; stop() removes them as they are ours.
    await d.stop();
    expect(existsSync(lockPath(d.number))).toBe(false);
    expect(existsSync(socketPath(d.number))).toBe(false);
  });
});
