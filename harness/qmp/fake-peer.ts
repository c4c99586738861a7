// A scriptable stand-in for a QEMU QMP socket, for unit tests here and in other modules.
// It mimics the QEMU behaviour clients depend on: a greeting on connect, commands refused
// until qmp_capabilities, replies echoing the request id, one client served at a time
// (later connections wait in the backlog, ungreeted), and `quit` answering then hanging up.
// Tests script replies per command, push events, inject raw bytes, and drop the link.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LineSplitter } from './lines.ts';
import { isRecord, parseJsonLine } from './messages.ts';
import type { QmpErrorBody, QmpGreeting } from './types.ts';

/** A command as the fake peer received it. */
export interface FakeCommand {
  /** Which key carried the command name. */
  kind: 'execute' | 'exec-oob';
  command: string;
  arguments: Record<string, unknown> | undefined;
  id: unknown;
  /** The line as received. */
  raw: string;
}

/** What to answer; `delayMs` holds the reply back (other traffic keeps flowing meanwhile). */
export type FakeReply = ({ return: unknown } | { error: QmpErrorBody }) & { delayMs?: number };

/**
 * A fixed reply, or a function deciding one. A function returning undefined leaves the
 * command unanswered, e.g. so the test can answer later with `respond()`.
 */
export type FakeHandler =
  | FakeReply
  | ((command: FakeCommand, peer: FakeQmpPeer) => FakeReply | undefined | Promise<FakeReply | undefined>);

export interface FakeQmpPeerOptions {
  /** Greeting sent on connect; false never greets (as when QEMU is busy with another client). */
  greeting?: QmpGreeting | false;
  /** Capabilities in the default greeting. Default ['oob'], as QEMU 7.2 offers. */
  capabilities?: string[];
  /** Initial handlers by command name; see `handle()`. */
  handlers?: Record<string, FakeHandler>;
}

export function defaultGreeting(capabilities: string[] = ['oob']): QmpGreeting {
  return {
    QMP: {
      version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u7' },
      capabilities,
    },
  };
}

/** Per-connection protocol state, as QEMU keeps per monitor session. */
interface Session {
  socket: net.Socket;
  lines: LineSplitter;
  negotiated: boolean;
  oobEnabled: boolean;
}

export class FakeQmpPeer {
  readonly socketPath: string;
  /** Every command received, in order, across connections. */
  readonly commands: FakeCommand[] = [];

  /** The temp dir of a peer started by `start()`; removed on close. */
  readonly #dir: string | undefined;
  readonly #server: net.Server;
  readonly #greeting: QmpGreeting | false;
  readonly #handlers = new Map<string, FakeHandler>();
  readonly #backlog: net.Socket[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #origin = new WeakMap<FakeCommand, Session>();
  readonly #commandWaiters = new Set<() => void>();
  #session: Session | undefined;
  #connections = 0;
  #closed = false;

  private constructor(dir: string | undefined, socketPath: string, server: net.Server, opts: FakeQmpPeerOptions) {
    this.#dir = dir;
    this.socketPath = socketPath;
    this.#server = server;
    this.#greeting = opts.greeting ?? defaultGreeting(opts.capabilities);
    for (const [name, handler] of Object.entries(opts.handlers ?? {})) this.#handlers.set(name, handler);
    server.on('connection', (socket) => this.#onConnection(socket));
  }

  /** Starts listening on a fresh UNIX socket in a temp dir. */
  static async start(opts: FakeQmpPeerOptions = {}): Promise<FakeQmpPeer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cutover-qmp-'));
    return FakeQmpPeer.#listen(dir, path.join(dir, 'qmp.sock'), opts);
  }

  /** Listens at a given path (an emulated QEMU's -qmp socket); close() removes only the socket. */
  static listen(socketPath: string, opts: FakeQmpPeerOptions = {}): Promise<FakeQmpPeer> {
    return FakeQmpPeer.#listen(undefined, socketPath, opts);
  }

  static async #listen(dir: string | undefined, socketPath: string, opts: FakeQmpPeerOptions): Promise<FakeQmpPeer> {
    const server = net.createServer();
    const peer = new FakeQmpPeer(dir, socketPath, server, opts);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(peer.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return peer;
  }

  /** Sets (or replaces) how a command is answered. */
  handle(command: string, handler: FakeHandler): this {
    this.#handlers.set(command, handler);
    return this;
  }

  /** Whether a client is connected and being served (not waiting in the backlog). */
  get clientConnected(): boolean {
    return this.#session !== undefined;
  }

  /** Connections accepted so far, including backlogged ones. */
  get connectionCount(): number {
    return this.#connections;
  }

  /** The first command named `command` received at or after index `since`, waiting if needed. */
  waitForCommand(command: string, opts: { since?: number; timeoutMs?: number } = {}): Promise<FakeCommand> {
    const since = opts.since ?? 0;
    const timeoutMs = opts.timeoutMs ?? 5_000;
    const find = () => this.commands.slice(since).find((c) => c.command === command);
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (!hit) return;
        this.#commandWaiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.#commandWaiters.delete(check);
        reject(new Error(`fake QMP peer: no '${command}' command within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#commandWaiters.add(check);
    });
  }

  /** Answers a command now, e.g. one whose handler returned undefined. */
  respond(command: FakeCommand, reply: FakeReply): void {
    const session = this.#origin.get(command);
    if (session) this.#reply(session, command.id, reply);
  }

  /** Sends an event to the connected client. Timestamp defaults to now. */
  pushEvent(event: string, data?: Record<string, unknown>, timestamp = nowTimestamp()): void {
    this.#writeLine({ event, ...(data === undefined ? {} : { data }), timestamp });
  }

  /** Writes bytes verbatim (no newline added): for malformed or chunked input. */
  sendRaw(bytes: string | Uint8Array): void {
    this.#session?.socket.write(bytes);
  }

  /** Hangs up on the connected client; resolves once the socket has closed. */
  dropConnection(): Promise<void> {
    const socket = this.#session?.socket;
    if (!socket || socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  /** Closes the client's connection gracefully: queued output is flushed first. */
  endConnection(): Promise<void> {
    const socket = this.#session?.socket;
    if (!socket || socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
  }

  /** Stops the server, hangs up on everyone and removes the temp dir. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#session?.socket.destroy();
    for (const socket of this.#backlog) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.#dir ?? this.socketPath, { recursive: true, force: true });
  }

  #onConnection(socket: net.Socket): void {
    this.#connections++;
    socket.on('error', () => {}); // a client vanishing mid-write is routine here
    if (this.#session) {
      this.#backlog.push(socket);
      socket.once('close', () => {
        const at = this.#backlog.indexOf(socket);
        if (at >= 0) this.#backlog.splice(at, 1);
      });
      return;
    }
    this.#serve(socket);
  }

  #serve(socket: net.Socket): void {
    const session: Session = { socket, lines: new LineSplitter(), negotiated: false, oobEnabled: false };
    this.#session = session;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const line of session.lines.push(chunk)) this.#onLine(session, line);
    });
    socket.once('close', () => {
      if (this.#session !== session) return;
      this.#session = undefined;
      const next = this.#backlog.shift();
      if (next && !this.#closed) this.#serve(next);
    });
    if (this.#greeting !== false) this.#write(session, this.#greeting);
  }

  #onLine(session: Session, line: string): void {
    const json = parseJsonLine(line);
    if (!json.ok || !isRecord(json.value)) {
      // QEMU cannot tell which request this was, so its error carries no id.
      this.#write(session, { error: { class: 'GenericError', desc: 'JSON parse error, expecting an object' } });
      return;
    }
    const request = json.value;
    const command = parseCommand(request, line);
    if (!command) {
      this.#reply(session, request.id, error("QMP input lacks member 'execute'"));
      return;
    }
    this.commands.push(command);
    this.#origin.set(command, session);
    for (const check of [...this.#commandWaiters]) check();
    void this.#dispatch(session, command);
  }

  async #dispatch(session: Session, command: FakeCommand): Promise<void> {
    const refusal = this.#protocolRefusal(session, command);
    if (refusal) return this.#reply(session, command.id, refusal);

    const handler = this.#handlers.get(command.command) ?? builtInHandler(command.command);
    if (!handler) {
      return this.#reply(session, command.id, {
        error: { class: 'CommandNotFound', desc: `The command ${command.command} has not been found` },
      });
    }
    let reply: FakeReply | undefined;
    try {
      reply = typeof handler === 'function' ? await handler(command, this) : handler;
    } catch (err) {
      reply = error(`fake QMP peer handler for '${command.command}' threw: ${String(err)}`);
    }
    if (reply) this.#reply(session, command.id, reply);
  }

  /** QEMU's own gatekeeping, applied before any scripted handler. */
  #protocolRefusal(session: Session, command: FakeCommand): FakeReply | undefined {
    if (command.kind === 'exec-oob' && !session.oobEnabled) {
      return error("QMP input member 'exec-oob' is unexpected");
    }
    if (command.command === 'qmp_capabilities') {
      if (session.negotiated) {
        return {
          error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' },
        };
      }
      const enable = command.arguments?.enable;
      const wanted = Array.isArray(enable) ? enable : [];
      const offered = this.#greeting === false ? [] : this.#greeting.QMP.capabilities;
      const unsupported = wanted.find((cap) => typeof cap !== 'string' || !offered.includes(cap));
      if (unsupported !== undefined) return error(`Capability '${String(unsupported)}' not available`);
      session.negotiated = true;
      session.oobEnabled = wanted.includes('oob');
      return undefined;
    }
    if (!session.negotiated) {
      return {
        error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" },
      };
    }
    return undefined;
  }

  #reply(session: Session, id: unknown, reply: FakeReply): void {
    const body = 'error' in reply ? { error: reply.error } : { return: reply.return };
    const message = id === undefined ? body : { ...body, id };
    if (!reply.delayMs) return this.#write(session, message);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#write(session, message);
    }, reply.delayMs);
    this.#timers.add(timer);
  }

  #writeLine(message: unknown): void {
    if (this.#session) this.#write(this.#session, message);
  }

  #write(session: Session, message: unknown): void {
    if (session.socket.writable) session.socket.write(`${JSON.stringify(message)}\r\n`);
  }
}

function parseCommand(request: Record<string, unknown>, raw: string): FakeCommand | undefined {
  const oobName = request['exec-oob'];
  const name = typeof oobName === 'string' ? oobName : request.execute;
  if (typeof name !== 'string') return undefined;
  const args = request.arguments;
  return {
    kind: typeof oobName === 'string' ? 'exec-oob' : 'execute',
    command: name,
    arguments: isRecord(args) ? args : undefined,
    id: request.id,
    raw,
  };
}

/** Commands that behave like QEMU unless a test overrides them. */
function builtInHandler(command: string): FakeHandler | undefined {
  switch (command) {
    case 'qmp_capabilities':
      return { return: {} };
    case 'quit':
      // QEMU 7.2 announces SHUTDOWN, then answers, then exits (closing the socket).
      return (_cmd, peer) => {
        peer.pushEvent('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
        setImmediate(() => void peer.endConnection());
        return { return: {} };
      };
    default:
      return undefined;
  }
}

function error(desc: string): FakeReply {
  return { error: { class: 'GenericError', desc } };
}

function nowTimestamp(): { seconds: number; microseconds: number } {
  const micros = Date.now() * 1000;
  return { seconds: Math.floor(micros / 1e6), microseconds: micros % 1e6 };
}
