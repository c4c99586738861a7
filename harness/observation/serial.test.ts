import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialRecorder } from './serial.ts';

let dir = '';
let recorder: SerialRecorder | undefined;
afterEach(async () => {
  await recorder?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('serial recorder', () => {
  it('time-stamps characters and wakes waiters', async () => {
    dir = await mkdtemp(join(tmpdir(), 'serial-'));
    let now = 0;
    recorder = await SerialRecorder.listen(join(dir, 's.sock'), () => now);
    const guest = connect(join(dir, 's.sock'));
    await new Promise((r) => guest.once('connect', r));
    const waiting = recorder.waitFor('B', 2, 2000);
    now = 5;
    guest.write('AB');
    now = 9;
    guest.write('B');
    await waiting;
    expect(recorder.count('A')).toBe(1);
    expect(recorder.marks.map((m) => m.ch).join('')).toBe('ABB');
    expect(recorder.marks[0]?.t).toBeGreaterThanOrEqual(5);
    guest.destroy();
  });

  it('gives up at the deadline and says what it saw', async () => {
    dir = await mkdtemp(join(tmpdir(), 'serial-'));
    recorder = await SerialRecorder.listen(join(dir, 's.sock'), () => 0);
    await expect(recorder.waitFor('B', 3, 50)).rejects.toThrow(/saw 0/);
  });
});
