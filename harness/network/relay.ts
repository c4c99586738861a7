import { connect, createServer, type Server, type Socket } from 'node:net';

// The migration link of process hosts, made breakable: the source migrates to this relay,
// which forwards to the destination. A link fault then acts on the relay as it would on a
// network: cut (connections reset, new ones refused), blackhole (connections stay up but
// nothing gets through, as behind a firewall that drops packets), heal (new connections are
// forwarded again; connections a blackhole swallowed are reset, so both ends notice).

export type LinkState = 'up' | 'cut' | 'blackhole';

export interface Relay {
  readonly host: string;
  readonly port: number;
  readonly state: LinkState;
  /** Bytes forwarded each way so far. */
  readonly forwarded: { readonly toDestination: number; readonly toSource: number };
  cut(): Promise<void>;
  blackhole(): void;
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

  const onConnection = (from: Socket): void => {
    const to = connect(target.port, target.host);
    const pair = { from, to };
    pairs.add(pair);
    const end = (): void => {
      from.destroy();
      to.destroy();
      pairs.delete(pair);
    };
    // Data is passed on only while the link is up: a blackhole reads and drops it.
    from.on('data', (chunk: Buffer) => {
      if (state !== 'up') return;
      forwarded.toDestination += chunk.length;
      to.write(chunk);
    });
    to.on('data', (chunk: Buffer) => {
      if (state !== 'up') return;
      forwarded.toSource += chunk.length;
      from.write(chunk);
    });
    for (const s of [from, to]) {
      s.on('error', end);
      s.on('close', end);
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
      from.resetAndDestroy();
      to.resetAndDestroy();
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
    async heal() {
      if (state === 'up') return;
      const was = state;
      resetAll();
      state = 'up';
      if (was === 'cut') {
        server = createServer(onConnection);
        await listen(port);
      }
    },
    async close() {
      resetAll();
      state = 'cut';
      await stopListening().catch(() => undefined);
    },
  };
}
