import { createServer, type Server, type Socket } from 'node:net';
import { MAIN_CHANNEL, onMessages, send } from './wire.ts';
import { after } from '../../util/clock.ts';

// The emulated QEMU's SPICE server (spice-server's part that the spice family observes):
// sessions of channels that query-spice lists, client_migrate_info's target, and the
// handover when the migration completes: the client is told to switch, and
// SPICE_MIGRATE_COMPLETED follows once it left, or after spice-server's MIGRATE_TIMEOUT
// (10 s) when it never does. A destination takes a migrating client's channels into the
// session the client brings, so the connection id goes on.

/** spice-server's MIGRATE_TIMEOUT. */
export const MIGRATE_TIMEOUT_MS = 10_000;

export interface SpiceBugs {
  /** A migrating client's channels get a new connection id: its session starts over. */
  readonly restartsSessions: boolean;
  /** No MIGRATE_TIMEOUT: SPICE_MIGRATE_COMPLETED waits for the client for ever. */
  readonly waitsForClient: boolean;
  /** With no client to hand over, SPICE_MIGRATE_COMPLETED still waits MIGRATE_TIMEOUT. */
  readonly delaysWithoutClient: boolean;
  /** A cancelled migration drops the client's session at the source. */
  readonly dropsClientOnCancel: boolean;
}

interface Channel {
  readonly socket: Socket;
  readonly connection: number;
  readonly type: number;
  readonly id: number;
}

type Emit = (event: string, data?: Record<string, unknown>) => void;

export class SpiceServer {
  private readonly channels = new Set<Channel>();
  private server?: Server;
  private target?: { host: string; port: number };
  private nextConnection = 1 + Math.floor(Math.random() * 1_000_000);
  private handover?: { timer?: NodeJS.Timeout; done: boolean };
  /** Sessions migrating clients brought, and the ones `restartsSessions` gave them instead. */
  private readonly restarted = new Map<number, number>();
  /** query-spice's migrated: the last migration's SPICE handover completed. */
  migrated = false;

  constructor(
    private readonly address: { host: string; port: number },
    private readonly bugs: SpiceBugs,
    private readonly emit: Emit,
  ) {}

  listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.address.port, this.address.host, () => resolve());
    });
  }

  /** client_migrate_info: where a client goes when the migration completes. */
  migrateInfo(host: string, port: number): void {
    this.target = { host, port };
  }

  /** query-spice's answer. */
  status(): Record<string, unknown> {
    return {
      enabled: true,
      migrated: this.migrated,
      host: this.address.host,
      port: this.address.port,
      auth: 'none',
      'compiled-version': '0.15.1',
      'mouse-mode': 'server',
      channels: [...this.channels].map((c) => ({
        'connection-id': c.connection,
        'channel-type': c.type,
        'channel-id': c.id,
        host: c.socket.remoteAddress ?? '127.0.0.1',
        port: String(c.socket.remotePort ?? 0),
        family: 'ipv4',
        tls: false,
      })),
    };
  }

  /** The migration completed at the source: hand the client over to the target. */
  migrationCompleted(): void {
    const main = [...this.channels].find((c) => c.type === MAIN_CHANNEL);
    this.handover = { done: false };
    if (!main || !this.target) {
      if (this.bugs.delaysWithoutClient)
        this.handover.timer = after(MIGRATE_TIMEOUT_MS, () => this.handoverEnded(false));
      else this.handoverEnded(false);
      return;
    }
    send(main.socket, { t: 'switch', ...this.target });
    if (!this.bugs.waitsForClient) this.handover.timer = after(MIGRATE_TIMEOUT_MS, () => this.handoverEnded(false));
  }

  /** The migration was cancelled or failed: the client stays (unless the bug drops it). */
  migrationAbandoned(): void {
    if (!this.bugs.dropsClientOnCancel) return;
    for (const channel of this.channels) channel.socket.destroy();
  }

  private handoverEnded(followed: boolean): void {
    if (!this.handover || this.handover.done) return;
    clearTimeout(this.handover.timer);
    this.handover.done = true;
    this.migrated = followed;
    this.emit('SPICE_MIGRATE_COMPLETED');
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    onMessages(socket, (message) => {
      if (message.t !== 'link') return;
      const known = [...this.channels].some((c) => c.connection === message.connection);
      const session =
        message.connection === 0
          ? this.nextConnection++
          : this.sessionOf(message.connection, message.migrating === true);
      if (message.connection !== 0 && !known && message.migrating !== true) return void socket.destroy();
      const channel: Channel = { socket, connection: session, type: message.channel, id: message.id };
      this.channels.add(channel);
      send(socket, { t: 'linked', connection: session });
      this.emit('SPICE_INITIALIZED', this.describe(channel));
      socket.on('close', () => this.closed(channel));
    });
  }

  private sessionOf(brought: number, migrating: boolean): number {
    if (!migrating || !this.bugs.restartsSessions) return brought;
    const given = this.restarted.get(brought) ?? this.nextConnection++;
    this.restarted.set(brought, given);
    return given;
  }

  private closed(channel: Channel): void {
    if (!this.channels.delete(channel)) return;
    if (channel.type !== MAIN_CHANNEL) return;
    this.emit('SPICE_DISCONNECTED', this.describe(channel));
    // The client left its main channel after being told to switch: it follows the guest.
    if (this.handover && !this.handover.done) this.handoverEnded(true);
  }

  private describe(channel: Channel): Record<string, unknown> {
    return {
      server: { host: this.address.host, port: String(this.address.port), family: 'ipv4', auth: 'none' },
      client: {
        host: channel.socket.remoteAddress ?? '127.0.0.1',
        port: String(channel.socket.remotePort ?? 0),
        family: 'ipv4',
        'connection-id': channel.connection,
        'channel-type': channel.type,
        'channel-id': channel.id,
        tls: false,
      },
    };
  }

  close(): void {
    this.server?.close();
    for (const channel of this.channels) channel.socket.destroy();
  }
}
