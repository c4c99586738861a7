// QMP client: one connection to one QEMU monitor socket.
// Commands are matched to replies by id (QEMU interleaves events, and with OOB it may
// answer out of order); events are kept in an ordered buffer so a test can wait for an
// event that may already have arrived. Any connection failure settles every pending
// operation: nothing a test awaits is left hanging.
import net from 'node:net';
import {
  QmpCommandError,
  QmpConnectError,
  QmpDisconnectedError,
  QmpProtocolError,
  QmpTimeoutError,
  QmpUsageError,
} from './errors.ts';
import { LineSplitter } from './lines.ts';
import { parseServerLine, type ServerMessage } from './messages.ts';
import type { QmpCloseReason, QmpEvent, QmpGreeting, QmpTarget, ReceivedEvent, TranscriptEntry } from './types.ts';
import { after, monotonicClock } from '../util/clock.ts';

export interface QmpConnectOptions {
  /** Bound on connect + greeting + capabilities negotiation. Default 10 s. */
  timeoutMs?: number;
  /** Enable out-of-band execution if the server offers it (see `oobEnabled`). */
  oob?: boolean;
  /** Called for every line sent and received. */
  transcript?: (entry: TranscriptEntry) => void;
  /** Harness clock in ms, for transcript times and event receive times. Default: the run's clock. */
  clock?: () => number;
}

export interface QmpExecuteOptions {
  /** Reply deadline. Default 30 s; Infinity waits forever. */
  timeoutMs?: number;
  /** Send as `exec-oob`; requires OOB to have been negotiated. */
  oob?: boolean;
}

export type EventMatcher = string | ((event: ReceivedEvent) => boolean);

export interface WaitForEventOptions {
  timeoutMs: number;
  /** Buffer index (see mark()); events at or after it count. Default: only events arriving after the call. */
  since?: number;
  /** How to name a predicate matcher in timeout messages. */
  description?: string;
}

export type EventListener = (event: ReceivedEvent) => void;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** setTimeout fires at once for delays above this, so treat longer ones as "no deadline". */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Cap on event names listed in a waitForEvent timeout message. */
const MAX_LISTED_EVENTS = 40;

interface PendingCommand {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

interface EventWaiter {
  matches: (event: ReceivedEvent) => boolean;
  resolve: (event: ReceivedEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

type ConnectPhase = 'connecting' | 'awaiting the greeting' | 'negotiating capabilities';

export class QmpClient {
  /** Human-readable target, e.g. `unix:/run/vm1.qmp` or `10.0.0.5:4444`. */
  readonly target: string;
  /** Resolves (never rejects) once the connection has ended, with the reason. */
  readonly closed: Promise<QmpCloseReason>;

  readonly #socket: net.Socket;
  readonly #clock: () => number;
  readonly #transcript: ((entry: TranscriptEntry) => void) | undefined;
  readonly #lines = new LineSplitter();
  readonly #pending = new Map<number, PendingCommand>();
  /** Ids of commands that timed out: their late replies are expected and ignored. */
  readonly #abandonedIds = new Set<number>();
  readonly #waiters = new Set<EventWaiter>();
  readonly #events: ReceivedEvent[] = [];
  readonly #listeners = new Set<EventListener>();
  readonly #greetingArrived: Deferred<QmpGreeting>;
  #nextId = 1;
  #greeting: QmpGreeting | undefined;
  #oobEnabled = false;
  #closeReason: QmpCloseReason | undefined;
  #socketError: Error | undefined;
  #resolveClosed: (reason: QmpCloseReason) => void = () => {};

  private constructor(socket: net.Socket, target: string, opts: QmpConnectOptions) {
    this.#socket = socket;
    this.target = target;
    this.#clock = opts.clock ?? monotonicClock;
    this.#transcript = opts.transcript;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#greetingArrived = deferred();
    // Only connect() awaits this; it must not surface as an unhandled rejection otherwise.
    this.#greetingArrived.promise.catch(() => {});

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', (err) => {
      this.#socketError ??= err;
    });
    socket.on('close', () => this.#onSocketClose());
  }

  /**
   * Connects, reads the greeting and negotiates capabilities, all within `timeoutMs`.
   * Rejects with QmpConnectError naming the target on refusal, timeout or a failed negotiation.
   */
  static async connect(target: QmpTarget, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const description = describeTarget(target);
    const socket =
      typeof target === 'string'
        ? net.createConnection({ path: target })
        : net.createConnection({ host: target.host, port: target.port });
    const client = new QmpClient(socket, description, opts);

    let phase: ConnectPhase = 'connecting';
    socket.once('connect', () => {
      phase = 'awaiting the greeting';
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = startTimer(timeoutMs, () => reject(new QmpTimeoutError('connect deadline', timeoutMs)));
    });

    try {
      await Promise.race([
        client.#negotiate(opts.oob ?? false, () => {
          phase = 'negotiating capabilities';
        }),
        deadline,
      ]);
      return client;
    } catch (err) {
      const failure = connectFailure(description, phase, timeoutMs, err);
      client.#finish({ cause: 'connect-failed', message: failure.message, error: failure });
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The greeting QEMU sent (version and offered capabilities). */
  get greeting(): QmpGreeting {
    if (!this.#greeting) throw new QmpUsageError('no QMP greeting received yet'); // unreachable after connect()
    return this.#greeting;
  }

  /** Whether out-of-band execution was negotiated. */
  get oobEnabled(): boolean {
    return this.#oobEnabled;
  }

  /** Set once the connection has ended. */
  get closeReason(): QmpCloseReason | undefined {
    return this.#closeReason;
  }

  /** Snapshot of every event received so far, in arrival order. */
  get events(): readonly ReceivedEvent[] {
    return this.#events.slice();
  }

  /** Current event buffer length: pass as `since` to catch events from this point on. */
  mark(): number {
    return this.#events.length;
  }

  /**
   * Runs a QMP command and resolves with its `return` value. The result type is the
   * caller's claim, not checked here.
   */
  async execute<R = unknown>(
    command: string,
    args?: Record<string, unknown>,
    opts: QmpExecuteOptions = {},
  ): Promise<R> {
    if (this.#closeReason) throw new QmpDisconnectedError(this.target, this.#closeReason);
    const oob = opts.oob ?? false;
    if (oob && !this.#oobEnabled) {
      throw new QmpUsageError(
        `cannot send '${command}' out-of-band to ${this.target}: OOB was not negotiated ` +
          `(connect with {oob: true} to a QEMU whose greeting offers 'oob')`,
      );
    }
    const result = await this.#send(command, args, oob, opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    return result as R;
  }

  /**
   * Resolves with the first buffered event at or after `since` that matches, waiting
   * for one if none has arrived yet.
   */
  waitForEvent(match: EventMatcher, opts: WaitForEventOptions): Promise<ReceivedEvent> {
    const since = opts.since ?? this.#events.length;
    const matches = typeof match === 'string' ? (e: ReceivedEvent) => e.event === match : match;
    const awaited = opts.description ?? (typeof match === 'string' ? `'${match}'` : 'matching a predicate');

    try {
      // Checked even after close: an event that arrived before the peer hung up still counts.
      const already = this.#events.slice(since).find(matches);
      if (already) return Promise.resolve(already);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closeReason) return Promise.reject(new QmpDisconnectedError(this.target, this.#closeReason));

    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = { matches, resolve, reject, timer: undefined };
      waiter.timer = startTimer(opts.timeoutMs, () => {
        this.#waiters.delete(waiter);
        const seen = summariseEventNames(this.#events.slice(since).map((e) => e.event));
        reject(
          new QmpTimeoutError(
            `timed out after ${opts.timeoutMs} ms waiting for QMP event ${awaited} from ${this.target}; ` +
              `events seen meanwhile: ${seen}`,
            opts.timeoutMs,
          ),
        );
      });
      this.#waiters.add(waiter);
    });
  }

  /** Subscribes to events as they arrive; returns an unsubscribe function. */
  on(type: 'event', listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.off(type, listener);
  }

  off(_type: 'event', listener: EventListener): void {
    this.#listeners.delete(listener);
  }

  /** Ends the connection; safe to call more than once. */
  close(): Promise<QmpCloseReason> {
    this.#finish({ cause: 'client', message: 'closed by the client' });
    return this.closed;
  }

  async #negotiate(wantOob: boolean, onGreeting: () => void): Promise<void> {
    const greeting = await this.#greetingArrived.promise;
    onGreeting();
    const enableOob = wantOob && greeting.QMP.capabilities.includes('oob');
    // No per-command deadline: connect()'s overall deadline covers this.
    await this.#send('qmp_capabilities', enableOob ? { enable: ['oob'] } : undefined, false, Infinity);
    this.#oobEnabled = enableOob;
  }

  #send(command: string, args: Record<string, unknown> | undefined, oob: boolean, timeoutMs: number): Promise<unknown> {
    const id = this.#nextId++;
    const message: Record<string, unknown> = { [oob ? 'exec-oob' : 'execute']: command };
    if (args !== undefined) message.arguments = args;
    message.id = id;
    const line = JSON.stringify(message);

    return new Promise((resolve, reject) => {
      const timer = startTimer(timeoutMs, () => {
        this.#pending.delete(id);
        this.#abandonedIds.add(id);
        reject(
          new QmpTimeoutError(
            `QMP command '${command}' got no reply from ${this.target} within ${timeoutMs} ms`,
            timeoutMs,
          ),
        );
      });
      this.#pending.set(id, { command, resolve, reject, timer });
      this.#record('send', line, this.#clock());
      this.#socket.write(`${line}\n`);
    });
  }

  #onData(chunk: string): void {
    for (const line of this.#lines.push(chunk)) {
      // A protocol error part-way through a batch ends the connection; ignore the rest.
      if (this.#closeReason) return;
      this.#onLine(line);
    }
  }

  #onLine(line: string): void {
    const receivedAt = this.#clock();
    this.#record('recv', line, receivedAt);
    const parsed = parseServerLine(line);
    if (!parsed.ok) return this.#failProtocol(parsed.problem, line);
    const message = parsed.value;

    if (!this.#greeting) {
      if (message.kind !== 'greeting') return this.#failProtocol('expected the QMP greeting first', line);
      this.#greeting = message.greeting;
      this.#greetingArrived.resolve(message.greeting);
      return;
    }
    switch (message.kind) {
      case 'greeting':
        return this.#failProtocol('unexpected second greeting', line);
      case 'event':
        return this.#onEvent(message.event, receivedAt);
      case 'return':
      case 'error':
        return this.#onReply(message, line);
    }
  }

  #onReply(reply: Extract<ServerMessage, { kind: 'return' | 'error' }>, line: string): void {
    const { id } = reply;
    if (typeof id === 'number') {
      const pending = this.#pending.get(id);
      if (pending) {
        this.#pending.delete(id);
        clearTimeout(pending.timer);
        if (reply.kind === 'return') pending.resolve(reply.value);
        else pending.reject(new QmpCommandError(pending.command, reply.error));
        return;
      }
      if (this.#abandonedIds.delete(id)) return; // late reply to a command that timed out
    }
    // We always send ids, so a reply we cannot place means the peer is confused.
    this.#failProtocol(id === undefined ? 'reply without an id' : `reply for unknown id ${JSON.stringify(id)}`, line);
  }

  #onEvent(event: QmpEvent, receivedAt: number): void {
    const received: ReceivedEvent = { ...event, index: this.#events.length, receivedAt };
    this.#events.push(received);

    for (const waiter of [...this.#waiters]) {
      let matched: boolean;
      try {
        matched = waiter.matches(received);
      } catch (err) {
        this.#settleWaiter(waiter);
        waiter.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (matched) {
        this.#settleWaiter(waiter);
        waiter.resolve(received);
      }
    }
    for (const listener of [...this.#listeners]) {
      callOutside(() => listener(received));
    }
  }

  #settleWaiter(waiter: EventWaiter): void {
    this.#waiters.delete(waiter);
    clearTimeout(waiter.timer);
  }

  #failProtocol(problem: string, line: string): void {
    const error = new QmpProtocolError(this.target, problem, line);
    this.#finish({ cause: 'protocol-error', message: error.message, error }, error);
  }

  #onSocketClose(): void {
    const error = this.#socketError;
    this.#finish(
      error
        ? { cause: 'socket-error', message: `socket error: ${error.message}`, error }
        : { cause: 'peer', message: 'the peer closed the connection' },
    );
  }

  /** Ends the connection once: rejects everything pending and resolves `closed`. */
  #finish(reason: QmpCloseReason, errorForPending?: Error): void {
    if (this.#closeReason) return;
    this.#closeReason = reason;
    const error = errorForPending ?? new QmpDisconnectedError(this.target, reason);

    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    this.#abandonedIds.clear();
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
    this.#greetingArrived.reject(error);

    this.#socket.destroy();
    this.#resolveClosed(reason);
  }

  #record(dir: TranscriptEntry['dir'], line: string, t: number): void {
    const transcript = this.#transcript;
    if (transcript) callOutside(() => transcript({ t, dir, line }));
  }
}

export function describeTarget(target: QmpTarget): string {
  if (typeof target === 'string') return `unix:${target}`;
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

function connectFailure(target: string, phase: ConnectPhase, timeoutMs: number, err: unknown): QmpConnectError {
  if (err instanceof QmpTimeoutError) {
    const hint =
      phase === 'awaiting the greeting'
        ? ' (QEMU serves one QMP client per socket: is another client still connected?)'
        : '';
    return new QmpConnectError(
      target,
      `timed out after ${timeoutMs} ms connecting to QMP at ${target} while ${phase}${hint}`,
      { timedOut: true, cause: err },
    );
  }
  const detail =
    err instanceof QmpDisconnectedError ? err.reason.message : err instanceof Error ? err.message : String(err);
  const socketError = err instanceof QmpDisconnectedError ? err.reason.error : undefined;
  return new QmpConnectError(target, `could not connect to QMP at ${target} while ${phase}: ${detail}`, {
    timedOut: false,
    code: errnoCode(socketError),
    cause: err,
  });
}

function errnoCode(error: Error | undefined): string | undefined {
  if (error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** "STOP, MIGRATION x3, RESUME": runs collapsed so MIGRATION_PASS floods stay readable. */
function summariseEventNames(names: string[]): string {
  if (names.length === 0) return 'none';
  const runs: { name: string; count: number }[] = [];
  for (const name of names) {
    const last = runs.at(-1);
    if (last && last.name === name) last.count++;
    else runs.push({ name, count: 1 });
  }
  const shown = runs.slice(0, MAX_LISTED_EVENTS).map((r) => (r.count > 1 ? `${r.name} x${r.count}` : r.name));
  const hidden = runs.length - shown.length;
  return shown.join(', ') + (hidden > 0 ? `, … (${hidden} more)` : '');
}

function startTimer(ms: number, onExpiry: () => void): NodeJS.Timeout | undefined {
  if (!Number.isFinite(ms) || ms > MAX_TIMER_MS) return undefined;
  return after(Math.max(0, ms), onExpiry);
}

/**
 * Runs caller-supplied code (listeners, transcript sinks) so that a throw cannot break
 * the client's line handling; the error is rethrown asynchronously so it is not lost.
 */
function callOutside(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
