import type { Socket } from 'node:net';
import { listen, readFrames } from './stream.ts';

// A cpr-transfer destination (QEMU >= 10.0) before it has a monitor: started with a cpr
// channel in -incoming, it listens there first and reads the CPR state the source's `migrate`
// sends (in QEMU, the RAM blocks' file descriptors by SCM_RIGHTS). Only then does it open its
// QMP socket and listen on the main channel; it closes the cpr channel to tell the source it
// listens (the source waits for that HUP before it connects the main channel).

export interface CprState {
  /** The RAM blocks handed over: QEMU's descriptors, stood for by the shared RAM file's path. */
  readonly ram: ReadonlyArray<{ readonly name: string; readonly path: string }>;
}

export interface ReceivedCpr {
  readonly state: CprState;
  /** Closes the cpr channel: the source may connect the main channel now. */
  hangUp(): void;
}

/** Listens on the cpr channel's UNIX socket and waits (for ever, as QEMU does) for the CPR state. */
export async function receiveCprState(path: string): Promise<ReceivedCpr> {
  let arrived!: (received: { state: CprState; socket: Socket }) => void;
  const received = new Promise<{ state: CprState; socket: Socket }>((resolve) => (arrived = resolve));
  const server = await listen(`unix:${path}`, (socket) => {
    socket.on('error', () => undefined);
    readFrames(socket, (frame) => {
      if (frame.t === 'cpr') arrived({ state: { ram: frame.ram }, socket });
    });
  });
  const { state, socket } = await received;
  server.close();
  return { state, hangUp: () => socket.end() };
}
