import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a command of that name is on PATH. */
export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, tool)));
}
