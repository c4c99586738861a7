import { connect, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { LineSplitter } from '../../qmp/lines.ts';
import type { GuestState, MemoryDamage } from './guest.ts';
import { after, timeScale } from '../../util/clock.ts';

// The emulated migration stream: one JSON frame per line over a real socket (so the
// harness's relay, link cuts and frozen peers act on it as on QEMU's). A RAM frame stands
// for `bytes` of guest RAM and carries 1/SCALE of them as padding, so a stalled reader
// fills the socket's buffers and blocks the writer, as QEMU's stream does.

export const SCALE = 256;

export type Frame =
  | {
      readonly t: 'hello';
      readonly name: string;
      readonly uuid?: string;
      readonly version: string;
      readonly ramTotal: number;
    }
  | { readonly t: 'ram'; readonly bytes: number; readonly p?: string }
  | {
      readonly t: 'device';
      readonly state: GuestState;
      readonly damage: ReadonlyArray<MemoryDamage>;
      readonly postcopy: boolean;
    }
  | { readonly t: 'resume' }
  | { readonly t: 'end' }
  /**
   * cpr-transfer's cpr channel: the CPR state, in QEMU the RAM blocks' file descriptors (by
   * SCM_RIGHTS). Here the shared RAM file's path stands for them.
   */
  | { readonly t: 'cpr'; readonly ram: ReadonlyArray<{ readonly name: string; readonly path: string }> };

export function encode(frame: Frame): string {
  const padded = frame.t === 'ram' ? { ...frame, p: '0'.repeat(Math.ceil(frame.bytes / SCALE)) } : frame;
  return `${JSON.stringify(padded)}\n`;
}

/** Calls `onFrame` for every frame the socket delivers. */
export function readFrames(socket: Socket, onFrame: (frame: Frame) => void): void {
  const lines = new LineSplitter();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    for (const line of lines.push(chunk)) onFrame(JSON.parse(line) as Frame);
  });
}

/** A URI of QEMU's migrate and migrate-incoming: unix:<path> or tcp:<host>:<port>. */
type Endpoint = { path: string } | { host: string; port: number };

export function parseUri(uri: string): Endpoint {
  const unix = /^unix:(.+)$/.exec(uri);
  if (unix?.[1]) return { path: unix[1] };
  const tcp = /^tcp:(.+):(\d+)$/.exec(uri);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]) };
  throw new Error(`unknown migration URI '${uri}'`);
}

/** Connects as QEMU does; the error names the address as QEMU's does. */
/**
 * When Linux gives up a connection whose SYNs go unanswered: 6 retries (tcp_syn_retries),
 * ~127 s. On a faster clock (util/clock.ts) the kernel's give-up would come N times late, so
 * the emulated QEMU's kernel gives up at that moment of the run's clock instead.
 */
const KERNEL_SYN_TIMEOUT_MS = 127_000;

export function dial(uri: string): Promise<Socket> {
  const endpoint = parseUri(uri);
  return new Promise((resolve, reject) => {
    const socket = 'path' in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host);
    const synTimeout =
      'path' in endpoint || timeScale === 1
        ? undefined
        : after(KERNEL_SYN_TIMEOUT_MS, () =>
            socket.destroy(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })),
          );
    socket.once('connect', () => {
      clearTimeout(synTimeout);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(synTimeout);
      const where = 'path' in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
      reject(new Error(`Failed to connect to '${where}': ${describeErrno(err)}`));
    });
  });
}

export function listen(uri: string, onConnection: (socket: Socket) => void): Promise<Server> {
  const endpoint = parseUri(uri);
  if ('path' in endpoint) rmSync(endpoint.path, { force: true });
  const server = createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if ('path' in endpoint) server.listen(endpoint.path, () => resolve(server));
    else server.listen(endpoint.port, endpoint.host, () => resolve(server));
  });
}

/** The words of strerror(3) that QEMU's messages carry. */
export function describeErrno(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'EPIPE':
      return 'Broken pipe';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    default:
      return err.message;
  }
}
