import { connect, createServer, type Server, type Socket } from 'node:net';

// The migration link of process hosts, made breakable: the source migrates to this relay,
// which forwards to the destination. A link fault then acts on the relay as it would on a
// network: cut (connections reset, new ones refused), blackhole (connections stay up but
// nothing gets through, as behind a firewall that drops packets), hold (the relay's port is
// handed to an occupant a fault brings, such as a listener that never answers), heal (new
// connections are forwarded again; connections a blackhole swallowed are reset, so both ends
// notice).

export type LinkState = 'up' | 'cut' | 'blackhole' | 'held';

/** Takes the relay's port while the link is held; released when it heals. */
export type PortOccupant = (where: {
  readonly host: string;
  readonly port: number;
}) => Promise<{ release(): Promise<void> }>;

export interface Relay {
  readonly host: string;
  readonly port: number;
  readonly state: LinkState;
  /** Bytes forwarded each way so far. */
  readonly forwarded: { readonly toDestination: number; readonly toSource: number };
  cut(): Promise<void>;
  blackhole(): void;
  /** Stops forwarding and listening, and lets the occupant take the port. */
  hold(occupant: PortOccupant): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  readonly from: Socket;
  readonly to: Socket;
}

export async function startRelay(target: { host: string; port: number }): Promise<Relay> {
  const pairs = new Set<Pair>();
  const forwarded = { toDestination: 0, toSource: 0 };
  let state: LinkState = 'up';
  let port = 0;
  let occupied: { release(): Promise<void> } | undefined;

  const onConnection = (from: Socket): void => {
    const to = connect(target.port, target.host);
    const pair = { from, to };
    pairs.add(pair);
    const drop = (): void => {
      from.destroy();
      to.destroy();
      pairs.delete(pair);
    };
    // Data is passed on only while the link is up: a blackhole reads and drops it. A peer
    // that writes faster than the other reads is paused until the other drains.
    const forward = (reader: Socket, writer: Socket, count: (n: number) => void): void => {
      reader.on('data', (chunk: Buffer) => {
        if (state !== 'up') return;
        count(chunk.length);
        if (!writer.write(chunk)) reader.pause();
      });
      writer.on('drain', () => reader.resume());
      // One side done writing: the other gets everything still buffered, then the end
      // (destroying it here lost the last bytes of a fast migration stream).
      reader.on('end', () => (state === 'up' ? writer.end() : drop()));
    };
    forward(from, to, (n) => (forwarded.toDestination += n));
    forward(to, from, (n) => (forwarded.toSource += n));
    for (const s of [from, to]) {
      s.on('error', drop);
      s.on('close', () => {
        if (from.destroyed && to.destroyed) pairs.delete(pair);
      });
    }
  };

  let server: Server = createServer(onConnection);
  const listen = (at: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address) port = address.port;
        resolve();
      });
    });
  const stopListening = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  const resetAll = (): void => {
    for (const { from, to } of pairs) {
      cutConnection(from);
      cutConnection(to);
    }
    pairs.clear();
  };
  await listen(0);

  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get state() {
      return state;
    },
    forwarded,
    async cut() {
      if (state === 'cut') return;
      state = 'cut';
      resetAll();
      await stopListening();
    },
    blackhole() {
      if (state === 'up') state = 'blackhole';
    },
    async hold(occupant) {
      if (state === 'held') return;
      const listening = state !== 'cut';
      state = 'held';
      // The listening socket closes at once; close()'s callback would wait for the connections
      // already forwarded, which stay, swallowed, as behind a firewall that drops everything.
      if (listening) server.close();
      occupied = await occupant({ host: '127.0.0.1', port });
    },
    async heal() {
      if (state === 'up') return;
      const was = state;
      await occupied?.release();
      occupied = undefined;
      resetAll();
      state = 'up';
      if (was === 'cut' || was === 'held') {
        server = createServer(onConnection);
        await listen(port);
      }
    },
    async close() {
      resetAll();
      const wasListening = state !== 'cut' && state !== 'held';
      state = 'cut';
      await occupied?.release().catch(() => undefined);
      occupied = undefined;
      if (wasListening) await stopListening().catch(() => undefined);
    },
  };
}

/**
 * Ends a connection as a cut link does: reset (RST). One that already ended its writing (its
 * peer's end was passed on) or is still connecting is destroyed instead: libuv refuses to reset
 * a socket it shut down (EINVAL), and Node 20 then marks the handle closing without closing it,
 * so its descriptor stayed open and the harness's exit spun for ever waiting for it.
 */
export function cutConnection(socket: Socket): void {
  if (socket.connecting || socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
