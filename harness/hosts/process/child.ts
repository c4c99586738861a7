import { spawn } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import type { HostProcess, ProcessExit, SpawnRequest } from '../types.ts';
import type { Clock } from '../../util/clock.ts';
import { withDeadline } from '../../util/deadline.ts';

// setpriv asks the kernel to SIGKILL the child when the harness dies, even by SIGKILL: the
// machine's PID 1 reaps nothing, so an orphaned QEMU would otherwise live on.
const SETPRIV = '/usr/bin/setpriv';

/** Starts a child of the harness (never daemonized) with its output in a log file. */
export function spawnChild(request: SpawnRequest, clock: Clock): HostProcess {
  const log = openSync(request.logPath, 'a');
  const [command, args] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', request.command, ...request.args]]
    : [request.command, [...request.args]];
  const child = spawn(command, args, { stdio: ['ignore', log, log], detached: false });
  closeSync(log);
  let alive = true;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal, t: clock() });
    });
    child.once('error', () => {
      alive = false;
      resolve({ code: null, signal: null, t: clock() });
    });
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    label: request.label,
    exited,
    get alive() {
      return alive;
    },
    signal(sig) {
      if (alive) child.kill(sig);
    },
    async stop(graceMs = 3000) {
      if (!alive) return exited;
      child.kill('SIGTERM');
      try {
        return await withDeadline(`${request.label} to exit on SIGTERM`, graceMs, exited);
      } catch {
        child.kill('SIGKILL');
        return withDeadline(`${request.label} to exit on SIGKILL`, 10_000, exited);
      }
    },
  };
}
