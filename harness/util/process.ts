import { readdir, readFile } from 'node:fs/promises';

/** Whether a process exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** This process's living children with the given command name (zombies left out). */
export async function childProcesses(command: string, parent: number = process.pid): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid: comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (stat.slice(stat.indexOf('(') + 1, close) === command && state !== 'Z' && Number(ppid) === parent)
      pids.push(Number(entry));
  }
  return pids;
}

/** Waits until this process has no living child of that command name, or the deadline passes. */
export async function childrenEnded(command: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await childProcesses(command)).length === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
