import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { spawnChild } from '../../hosts/process/child.ts';
import { monotonicClock } from '../../util/clock.ts';
import { pollUntil } from '../../util/deadline.ts';

// A port where no handshake ever completes. A child process listens there with the smallest
// backlog and stops itself (SIGSTOP) before it accepts anything; the harness then fills the
// accept queue. From then on the kernel drops every SYN to that port: a connect() there
// neither succeeds nor is refused, it hangs until the caller's SYN retries run out.

/** Listens at this address; the line below is the whole of the child. */
const CHILD = `const s=require('net').createServer();s.listen({host:process.argv[1],port:+process.argv[2],backlog:1},()=>process.kill(process.pid,'SIGSTOP'));`;
const MAX_FILLERS = 16;
const SILENCE_PROOF_MS = 300;

export async function silentListener(where: {
  readonly host: string;
  readonly port: number;
}): Promise<{ release(): Promise<void> }> {
  const child = spawnChild(
    {
      command: process.execPath,
      args: ['-e', CHILD, where.host, String(where.port)],
      label: 'silent-listener',
      logPath: '/dev/null',
    },
    monotonicClock,
  );
  const fillers: Socket[] = [];
  const release = async (): Promise<void> => {
    for (const socket of fillers) socket.destroy();
    child.signal('SIGKILL');
    await child.exited;
  };
  try {
    // Stopped ('T') means listening: it stops itself in the listen callback.
    await pollUntil(
      'the silent listener to listen',
      10_000,
      async () => {
        if (!child.alive) throw new Error('the silent listener ended before it listened (is the port free?)');
        const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => '');
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T') ? true : undefined;
      },
      10,
    );
    // Connections complete into the queue until it is full; the first that does not is the proof.
    for (let i = 0; i < MAX_FILLERS; i++) {
      const socket = connect(where.port, where.host);
      socket.on('error', () => undefined);
      fillers.push(socket);
      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), SILENCE_PROOF_MS);
        socket.once('connect', () => (clearTimeout(timer), resolve(true)));
      });
      if (!connected) return { release };
    }
    throw new Error(`the port ${where.port} still completed handshakes after ${MAX_FILLERS} connections`);
  } catch (err) {
    await release();
    throw err;
  }
}
