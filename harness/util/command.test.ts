// The real runner, on harmless shell commands: deadlines must hold.
import { describe, expect, it } from 'vitest';
import { lastLines, pathWithSbin, runCommand, shellJoin } from './command.ts';

describe('runCommand', () => {
  it('captures stdout, stderr and the exit code', async () => {
    const r = await runCommand(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 5_000 });
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  });

  it('reports a missing binary as ENOENT', async () => {
    const r = await runCommand(['cutover-no-such-binary-xyz'], { timeoutMs: 5_000 });
    expect(r).toMatchObject({ code: null, spawnError: 'ENOENT' });
  });

  it('kills a hanging command at the deadline', async () => {
    const started = Date.now();
    const r = await runCommand(['sleep', '30'], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('does not wait for a grandchild that keeps the pipes open', async () => {
    const started = Date.now();
    const r = await runCommand(['sh', '-c', 'sleep 30 & echo started; wait'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe('started\n');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('streams complete lines', async () => {
    const lines: string[] = [];
    await runCommand(['sh', '-c', 'printf "a\\nb"; printf "c\\n" >&2'], {
      timeoutMs: 5_000,
      onLine: (l) => lines.push(l),
    });
    expect(lines.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('helpers', () => {
  it('adds the sbin folders once', () => {
    expect(pathWithSbin('/usr/bin:/bin')).toBe('/usr/bin:/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin');
  });
  it('quotes only what needs it, as a shell reads it back', () => {
    expect(shellJoin(['docker', 'info', '--format', '{{.ServerVersion}}', "it's", '/usr/bin/x'])).toBe(
      "docker info --format $'{{.ServerVersion}}' $'it\\'s' /usr/bin/x",
    );
  });
  it('lastLines skips blank lines', () => {
    expect(lastLines('a\n\nb\nc\n', 2)).toEqual(['b', 'c']);
  });
});
