import { execFile } from 'node:child_process';
import type { ExecResult } from '../types.ts';

/** Runs a command on this machine; a non-zero exit is a result, not an error. */
export function runLocally(argv: ReadonlyArray<string>, timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (!command) return Promise.reject(new Error('exec needs a command'));
  return new Promise((resolve, reject) => {
    const options = { timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 16 * 1024 * 1024, ...(signal && { signal }) };
    execFile(command, args, options, (err, stdout, stderr) => {
      const e = err as { code?: unknown; killed?: boolean; name?: string } | null;
      if (e && typeof e.code !== 'number') {
        if (e.name === 'AbortError') return reject(new Error(`${argv.join(' ')}: abandoned`));
        if (e.killed) return reject(new Error(`${argv.join(' ')}: no answer within ${timeoutMs} ms`));
        return reject(err);
      }
      resolve({ code: typeof e?.code === 'number' ? e.code : 0, stdout, stderr });
    });
  });
}
