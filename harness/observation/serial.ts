import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { after, type Clock } from '../util/clock.ts';
import { DeadlineError } from '../util/deadline.ts';

/** One character of guest serial output, time-stamped on the harness's clock on arrival. */
export interface SerialMark {
  readonly t: number;
  readonly ch: string;
}

/**
 * Listens on a UNIX socket that the guest's COM1 connects to (the harness is the server, so
 * no character is lost before the harness could connect), and time-stamps every character.
 */
export class SerialRecorder {
  readonly marks: SerialMark[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly clock: Clock,
    private readonly onText: (t: number, text: string) => void,
  ) {
    server.on('connection', (socket) => this.attach(socket));
  }

  /** `onText`: every chunk of characters as it arrives, with its time (for the history). */
  static async listen(
    path: string,
    clock: Clock,
    onText: (t: number, text: string) => void = () => {},
  ): Promise<SerialRecorder> {
    await rm(path, { force: true });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return new SerialRecorder(path, server, clock, onText);
  }

  private attach(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      const t = this.clock();
      for (const byte of chunk) this.marks.push({ t, ch: String.fromCharCode(byte) });
      this.onText(t, chunk.toString('latin1'));
      for (const wake of this.waiters) wake();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  count(ch: string, since = 0): number {
    let n = 0;
    for (let i = since; i < this.marks.length; i++) if (this.marks[i]?.ch === ch) n++;
    return n;
  }

  /** Index into marks, to count only what arrives after this moment. */
  mark(): number {
    return this.marks.length;
  }

  /** Waits until `n` characters `ch` arrived at or after index `since`. */
  async waitFor(ch: string, n: number, timeoutMs: number, since = 0): Promise<void> {
    if (this.count(ch, since) >= n) return;
    await new Promise<void>((resolve, reject) => {
      const timer = after(timeoutMs, () => {
        this.waiters.delete(check);
        reject(
          new DeadlineError(
            `waiting for ${n} '${ch}' on serial ${this.path} (saw ${this.count(ch, since)})`,
            timeoutMs,
          ),
        );
      });
      const check = (): void => {
        if (this.count(ch, since) < n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.path, { force: true });
  }
}
