import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../util/deadline.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the container watchdog', () => {
  it('removes the containers and networks of a harness killed outright (SIGKILL)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'watchdog-'));
    // A docker that lists one container and one network, and logs what it was asked.
    const calls = join(dir, 'calls');
    await writeFile(
      join(dir, 'docker'),
      `#!/bin/sh\necho "$*" >> ${calls}\ncase "$1 $2" in "ps -aq") echo c1;; "network ls") echo n1;; esac\n`,
    );
    await chmod(join(dir, 'docker'), 0o755);
    const script = `
      import { ensureContainerWatchdog } from ${JSON.stringify(join(import.meta.dirname, 'watchdog.ts'))};
      ensureContainerWatchdog();
      console.log(process.pid);
      setInterval(() => {}, 1000);`;
    const harness = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    const pid = Number(
      await new Promise<string>((resolve) => harness.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await readFile(calls, 'utf8').catch(() => '')).toBe(''); // nothing removed while the harness lives
    harness.kill('SIGKILL');
    const log = await pollUntil('the watchdog to clean up', 5000, async () => {
      const text = await readFile(calls, 'utf8').catch(() => '');
      return text.includes('network rm') ? text : undefined;
    });
    expect(log).toContain(`ps -aq --filter label=cutover.owner-pid=${pid}`);
    expect(log).toContain('rm -f -v c1');
    expect(log).toContain('network rm n1');
  });
});
