import type { ExecResult } from '../types.ts';
import { exec } from '../../util/command.ts';
import { dockerEnv } from './image/index.ts';

/** The docker CLI, with a deadline; throws on a non-zero exit with docker's own words. */
export async function docker(args: ReadonlyArray<string>, timeoutMs = 30_000): Promise<string> {
  const result = await dockerResult(args, timeoutMs);
  if (result.code !== 0)
    throw new Error(`docker ${args.slice(0, 3).join(' ')}: ${result.stderr.trim() || `exit ${result.code}`}`);
  return result.stdout;
}

export function dockerResult(args: ReadonlyArray<string>, timeoutMs = 30_000): Promise<ExecResult> {
  return exec(['env', ...Object.entries(dockerEnv()).map(([k, v]) => `${k}=${v}`), 'docker', ...args], timeoutMs);
}
