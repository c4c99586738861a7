import type { Socket } from 'node:net';
import { LineSplitter } from '../../qmp/lines.ts';

// The emulated SPICE protocol between cutover's emulated SPICE server (in the emulated QEMU)
// and its emulated client: one JSON message per line over real TCP sockets, one socket per
// channel, as SPICE opens one per channel. It keeps what the spice family observes: a
// session (connection id) made of channels, the main channel first, and the seamless
// switch of a session to the migration's target. It is not SPICE's wire format: a real
// client (remote-viewer) cannot talk to it, nor the emulated client to a real QEMU.

/** SPICE's channel types the client opens: main, display, inputs, cursor. */
export const CLIENT_CHANNELS = [1, 2, 3, 4] as const;
export const MAIN_CHANNEL = 1;

export type SpiceMessage =
  /** Client -> server, first on every channel; connection 0 asks for a new session (main channel only). */
  | {
      readonly t: 'link';
      readonly channel: number;
      readonly id: number;
      readonly connection: number;
      readonly migrating?: boolean;
    }
  /** Server -> client: the channel joined the session. */
  | { readonly t: 'linked'; readonly connection: number }
  /** Server -> client on the main channel, when the migration completed: go on at the target. */
  | { readonly t: 'switch'; readonly host: string; readonly port: number };

export function send(socket: Socket, message: SpiceMessage): void {
  if (socket.writable) socket.write(`${JSON.stringify(message)}\n`);
}

export function onMessages(socket: Socket, handle: (message: SpiceMessage) => void): void {
  const lines = new LineSplitter();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    for (const line of lines.push(chunk)) handle(JSON.parse(line) as SpiceMessage);
  });
}
