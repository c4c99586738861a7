import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, LockTimeoutError, withLock } from './lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('acquireLock (flock)', () => {
  it('lets one holder in at a time; the next gets in when it lets go', async () => {
    const path = join(dir, 'a.lock');
    const order: string[] = [];
    const first = await acquireLock(path, 'first', 5_000);
    const second = withLock(path, 'second', 5_000, async () => {
      order.push('second');
    });
    await new Promise((r) => setTimeout(r, 200));
    order.push('first done');
    await first.release();
    await second;
    expect(order).toEqual(['first done', 'second']);
  });

  it('gives up after its deadline while another holds it', async () => {
    const path = join(dir, 'b.lock');
    const held = await acquireLock(path, 'holder', 5_000);
    try {
      await expect(acquireLock(path, 'waiter', 1_000)).rejects.toBeInstanceOf(LockTimeoutError);
    } finally {
      await held.release();
    }
    const again = await acquireLock(path, 'after', 1_000);
    await again.release();
  });
});
