import { createServer, type Server, type Socket } from 'node:net';

// A TCP port that accepts and then says nothing, ever: a peer that connects there hangs as it
// would behind a firewall that swallows the target's replies. The SPICE family points
// client_migrate_info at one to make the client's handover fail slowly instead of at once.

export interface Blackhole {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far (closed ones included). */
  readonly connections: number;
  /** Connections whose peer has not closed or reset them (our side stays open regardless). */
  readonly open: number;
  /** Bytes the peers sent (read and thrown away): proof that a client did try to talk. */
  readonly bytesReceived: number;
  /** Destroys every accepted connection and the listener. Idempotent. */
  close(): Promise<void>;
}

export interface BlackholeOptions {
  /** Address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Called as each connection is accepted. */
  onConnection?: () => void;
}

export async function startBlackhole(opts: BlackholeOptions = {}): Promise<Blackhole> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const peerOpen = new Set<Socket>();
  let connections = 0;
  let bytesReceived = 0;
  // allowHalfOpen: a peer that shuts its side down must not make us send our FIN.
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    connections += 1;
    opts.onConnection?.();
    sockets.add(socket);
    peerOpen.add(socket);
    // Read and discard, so the peer's writes never block and its FIN is noticed; never write.
    socket.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
    });
    socket.on('error', () => undefined);
    socket.on('end', () => peerOpen.delete(socket));
    socket.on('close', () => {
      sockets.delete(socket);
      peerOpen.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`blackhole: no TCP address for ${host}`);
  let closing: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    get connections() {
      return connections;
    },
    get open() {
      return peerOpen.size;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
