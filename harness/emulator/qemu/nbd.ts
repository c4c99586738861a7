import { connect, createServer, type Server, type Socket } from 'node:net';
import { LineSplitter } from '../../qmp/lines.ts';

// The emulated NBD: an export server (nbd-server-start, block-export-add) and the client of
// an nbd node (-blockdev driver=nbd, blockdev-add), over a real TCP connection, so a peer
// killed or cut off fails the reads and writes in flight and all later ones, as QEMU's NBD
// client without reconnect-delay does. Not NBD's wire protocol: one JSON request or reply
// per line, sector data in base64 (both ends are the emulator's).

/** What a node's reads and writes fail with when its NBD server is gone (QEMU's -EIO). */
export class IoError extends Error {
  constructor(message = 'Input/output error') {
    super(message);
  }
}

/** What an NBD export serves: a node's sectors. */
export interface Exported {
  readonly sectors: number;
  read(sector: number, count: number): Promise<Buffer>;
  write(sector: number, data: Buffer): Promise<void>;
}

type Request =
  | { readonly id: number; readonly op: 'read'; readonly sector: number; readonly count: number }
  | { readonly id: number; readonly op: 'write'; readonly sector: number; readonly data: string };

export class NbdServer {
  private readonly exports = new Map<string, { node: Exported; writable: boolean }>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(host: string, port: number): Promise<NbdServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(`Failed to bind socket: ${err.code === 'EADDRINUSE' ? 'Address already in use' : err.message}`),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    const nbd = new NbdServer(server);
    server.on('connection', (socket) => nbd.serve(socket));
    return nbd;
  }

  add(name: string, node: Exported, writable: boolean): void {
    if (this.exports.has(name)) throw new Error(`Block export id '${name}' is already in use`);
    this.exports.set(name, { node, writable });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    let exported: { node: Exported; writable: boolean } | undefined;
    const reply = (value: unknown): void => {
      if (socket.writable) socket.write(`${JSON.stringify(value)}\n`);
    };
    socket.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const message = JSON.parse(line) as { export?: string } & Partial<Request>;
        if (!exported) {
          exported = this.exports.get(message.export ?? '');
          if (!exported) {
            reply({ error: `export '${message.export ?? ''}' not present` });
            socket.end();
            return;
          }
          reply({ sectors: exported.node.sectors, writable: exported.writable });
          continue;
        }
        void this.answer(exported, message as Request).then(reply);
      }
    });
  }

  private async answer(exported: { node: Exported; writable: boolean }, request: Request): Promise<unknown> {
    try {
      if (request.op === 'read')
        return { id: request.id, data: (await exported.node.read(request.sector, request.count)).toString('base64') };
      if (!exported.writable) return { id: request.id, error: 'Operation not permitted' };
      await exported.node.write(request.sector, Buffer.from(request.data, 'base64'));
      return { id: request.id };
    } catch (err) {
      return { id: request.id, error: (err as Error).message };
    }
  }
}

/** An nbd node: the export `name` at host:port, connected once at open. */
export class NbdClient implements Exported {
  private readonly pending = new Map<
    number,
    { resolve: (reply: { data?: string }) => void; reject: (err: Error) => void }
  >();
  private next = 1;
  private gone = false;

  private constructor(
    private readonly socket: Socket,
    readonly sectors: number,
    readonly writable: boolean,
  ) {
    socket.on('close', () => this.lost());
    socket.on('error', () => this.lost());
  }

  static connect(host: string, port: number, name: string): Promise<NbdClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      const lines = new LineSplitter();
      let client: NbdClient | undefined;
      socket.setEncoding('utf8');
      socket.once('error', (err: NodeJS.ErrnoException) => {
        if (!client)
          reject(
            new Error(
              `Failed to connect to '${host}:${port}': ${err.code === 'ECONNREFUSED' ? 'Connection refused' : err.message}`,
            ),
          );
      });
      socket.on('connect', () => socket.write(`${JSON.stringify({ export: name })}\n`));
      socket.on('data', (chunk: string) => {
        for (const line of lines.push(chunk)) {
          const message = JSON.parse(line) as {
            id?: number;
            data?: string;
            error?: string;
            sectors?: number;
            writable?: boolean;
          };
          if (!client) {
            if (message.error !== undefined) {
              reject(new Error(`Requested export not available: ${message.error}`));
              socket.destroy();
              return;
            }
            client = new NbdClient(socket, message.sectors ?? 0, message.writable === true);
            resolve(client);
            continue;
          }
          client.settle(message);
        }
      });
    });
  }

  get connected(): boolean {
    return !this.gone;
  }

  async read(sector: number, count: number): Promise<Buffer> {
    const reply = await this.request({ op: 'read', sector, count });
    return Buffer.from(reply.data ?? '', 'base64');
  }

  async write(sector: number, data: Buffer): Promise<void> {
    await this.request({ op: 'write', sector, data: data.toString('base64') });
  }

  close(): void {
    this.socket.destroy();
  }

  private request(body: Record<string, unknown>): Promise<{ data?: string }> {
    if (this.gone) return Promise.reject(new IoError());
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  private settle(message: { id?: number; data?: string; error?: string }): void {
    const waiter = this.pending.get(message.id ?? 0);
    if (!waiter) return;
    this.pending.delete(message.id ?? 0);
    if (message.error !== undefined) waiter.reject(new IoError());
    else waiter.resolve(message);
  }

  /** The server is gone: what is in flight fails, and so does all that comes after. */
  private lost(): void {
    this.gone = true;
    for (const waiter of this.pending.values()) waiter.reject(new IoError());
    this.pending.clear();
  }
}
