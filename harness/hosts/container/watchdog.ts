// Containers are not children of the harness: a harness killed outright (SIGKILL, a crash, an
// OOM kill) runs no clean-up. A watchdog outside the harness's process group holds one end
// of a pipe the harness never writes to; when the harness is gone, for whatever reason, the
// pipe closes and the watchdog removes every container and network that carries its pid.

import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { dockerEnv } from './image/index.ts';
import { OWNER_LABEL } from './labels.ts';

let watching: Socket | undefined;

/** The shell the watchdog runs: wait for the pipe to close, then remove the owner's leftovers. */
export function watchdogScript(ownerPid: number): string {
  const label = `label=${OWNER_LABEL}=${ownerPid}`;
  const sweep = [
    `docker ps -aq --filter '${label}' | xargs -r docker rm -f -v >/dev/null 2>&1`,
    `docker network ls -q --filter '${label}' | xargs -r docker network rm >/dev/null 2>&1`,
  ];
  // Twice: a host whose creation was under way appears a moment after its owner died.
  return ['cat >/dev/null', ...sweep, 'sleep 2', ...sweep, 'exit 0'].join('; ');
}

/** Starts this process's watchdog once; it outlives Ctrl-C of the process group, by design. */
export function ensureContainerWatchdog(): void {
  if (watching) return;
  const child = spawn('sh', ['-c', watchdogScript(process.pid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...process.env, ...dockerEnv() },
  });
  child.unref();
  // A child's stdin pipe is a socket: unref'd, it does not keep the harness's event loop alive.
  const pipe = child.stdin as Socket;
  pipe.unref();
  pipe.on('error', () => undefined);
  watching = pipe;
}
