import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRunFolder } from './run-folder.ts';
import { UsageError } from '../util/errors.ts';

describe('run folder', () => {
  it('is .incomplete until finished, then becomes latest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'reports-'));
    const folder = await openRunFolder(root, new Date('2026-01-02T03:04:05.678Z'));
    expect(folder.path.endsWith('.incomplete')).toBe(true);
    const final = await folder.finish();
    expect(await readlink(join(root, 'latest'))).toBe('2026-01-02T03-04-05-678Z');
    expect(await readdir(root)).toContain('2026-01-02T03-04-05-678Z');
    expect(final).toBe(join(root, '2026-01-02T03-04-05-678Z'));
    await rm(root, { recursive: true });
  });

  it('refuses a folder it cannot write, without hanging or touching anything', async () => {
    await expect(openRunFolder('/proc/cutover-reports')).rejects.toThrow(UsageError);
    const root = await mkdtemp(join(tmpdir(), 'reports-'));
    await writeFile(join(root, 'file'), 'x');
    await expect(openRunFolder(join(root, 'file'))).rejects.toThrow(/cannot write reports/);
    await rm(root, { recursive: true });
  });
});
