import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { pollUntil, sleep } from '../util/deadline.ts';
import { startBlackhole, type Blackhole } from './blackhole.ts';

let hole: Blackhole | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await hole?.close();
  hole = undefined;
});

/** A client socket with what happened to it recorded. */
async function dial(
  port: number,
  host = '127.0.0.1',
): Promise<{ socket: Socket; received: () => number; ended: () => boolean; closed: Promise<void> }> {
  const socket = connect({ host, port, allowHalfOpen: true });
  clients.push(socket);
  let received = 0;
  let ended = false;
  socket.on('data', (d: Buffer) => (received += d.length));
  socket.on('end', () => (ended = true));
  socket.on('error', () => undefined);
  // EOF or reset from the blackhole: the socket is half-open, so 'close' alone may never come.
  const closed = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, ended: () => ended, closed };
}

describe('blackhole', () => {
  it('accepts, never answers and never closes', async () => {
    hole = await startBlackhole();
    expect(hole.host).toBe('127.0.0.1');
    expect(hole.port).toBeGreaterThan(0);
    const c = await dial(hole.port);
    c.socket.write('REDQ\u0002\u0000\u0000\u0000 hello, anybody there?');
    await sleep(300);
    expect(c.received()).toBe(0);
    expect(c.ended()).toBe(false);
    expect(c.socket.destroyed).toBe(false);
    expect(hole.connections).toBe(1);
    expect(hole.open).toBe(1);
    expect(hole.bytesReceived).toBeGreaterThan(0);
  });

  it('keeps its side open when the peer shuts down its own (no FIN back)', async () => {
    hole = await startBlackhole();
    const c = await dial(hole.port);
    await pollUntil('accepted', 2000, () => (hole?.open === 1 ? true : undefined));
    c.socket.end();
    await sleep(300);
    expect(c.ended()).toBe(false);
    expect(c.received()).toBe(0);
    expect(hole.open).toBe(0); // the peer has gone, as far as it can tell
    expect(hole.connections).toBe(1);
  });

  it('close() ends every connection and stops listening', async () => {
    hole = await startBlackhole();
    const a = await dial(hole.port);
    const b = await dial(hole.port);
    await pollUntil('both accepted', 2000, () => (hole?.open === 2 ? true : undefined));
    const port = hole.port;
    await hole.close();
    await Promise.all([a.closed, b.closed]);
    expect(hole.open).toBe(0);
    expect(hole.connections).toBe(2);
    await expect(dial(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await hole.close(); // idempotent
  });

  it('listens on the address it is given', async () => {
    hole = await startBlackhole({ host: '127.0.0.2' });
    expect(hole.host).toBe('127.0.0.2');
    await dial(hole.port, '127.0.0.2');
    await expect(dial(hole.port, '127.0.0.1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
