import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentListener } from './silent-listener.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** What a connection attempt meets within `ms`: accepted, refused, or nothing at all. */
function attempt(port: number, ms: number): Promise<'connected' | 'refused' | 'no answer'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (what: 'connected' | 'refused' | 'no answer'): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done('no answer'), ms);
    socket.once('connect', () => done('connected'));
    socket.once('error', () => done('refused'));
  });
}

describe('silent listener', () => {
  it('answers no connection attempt while it holds the port, and lets go of it', async () => {
    const port = await freePort();
    const silent = await silentListener({ host: '127.0.0.1', port });
    expect(await attempt(port, 1500)).toBe('no answer');
    await silent.release();
    expect(await attempt(port, 1500)).toBe('refused');
  });
});
