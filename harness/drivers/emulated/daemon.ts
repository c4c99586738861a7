import { randomUUID } from 'node:crypto';
import type { EmulatedDaemonSettings, Host, Keepalive } from '../../hosts/types.ts';
import type { QemuGuest } from '../qemu/guest.ts';
import { DEFAULT_POOL, WorkerPool } from './pool.ts';
import { every, monotonicClock } from '../../util/clock.ts';

// The emulated management daemon of one host: a registry of domains (kept as libvirt keeps
// its status files, so it outlives a restart), a bounded worker pool with priority workers,
// keepalive on connections to its peers, and a life of its own: it can be frozen (no call
// is taken, no decision made), killed (every call in flight is lost) and started again
// (recovering the migration jobs its domains were in).

export type DaemonLife = 'running' | 'frozen' | 'dead';

export interface Domain {
  readonly name: string;
  readonly uuid: string;
  /** Its QEMU, while it has one. */
  guest?: QemuGuest;
  /**
   * The migration job it is in, and the phase reached; recovered after a restart. An
   * 'upgrade' (a live upgrade within the host) has its own daemon as peer, and its new QEMU.
   */
  job?: { readonly kind: 'out' | 'in' | 'upgrade'; phase: string; readonly peer: EmulatedDaemon; incoming?: QemuGuest };
  /** Why its guest is lost, once it is: the domain stays, shut off, and says so. */
  lost?: string;
}

/** libvirtd's default keepalive (keepalive_interval 5, keepalive_count 5). */
export const DEFAULT_KEEPALIVE: Keepalive = { interval: 5, count: 5 };

export class DaemonGone extends Error {}

export class EmulatedDaemon {
  life: DaemonLife = 'running';
  /** Bumped at every death: work begun by an earlier life stops at its next step. */
  generation = 0;
  readonly domains = new Map<string, Domain>();
  readonly hostUuid: string;
  readonly keepalive: Keepalive;
  readonly pool: WorkerPool;
  readonly bugs: ReadonlySet<string>;
  private thawed: Array<() => void> = [];

  constructor(
    readonly host: Host,
    settings: EmulatedDaemonSettings,
  ) {
    this.hostUuid = settings.hostUuid ?? randomUUID();
    this.keepalive = settings.keepalive ?? DEFAULT_KEEPALIVE;
    this.bugs = new Set(settings.bugs);
    this.pool = new WorkerPool(settings.workers ?? DEFAULT_POOL, {
      sharedPriority: this.bugs.has('no-priority-workers'),
      refuseWhenBusy: this.bugs.has('refuses-when-busy'),
    });
  }

  /**
   * A call from a client (the harness, or a peer daemon): taken once the daemon runs, on a
   * worker of its priority. A dead daemon refuses the connection; a frozen one takes nothing.
   */
  async call<T>(high: boolean, work: (generation: number) => Promise<T>): Promise<T> {
    await this.step(this.generation);
    const generation = this.generation;
    return this.pool.run(high, async () => {
      await this.step(generation);
      return work(generation);
    });
  }

  /** Between two actions of the daemon's: waits while it is frozen; throws once the life that began the work ended. */
  async step(generation: number): Promise<void> {
    if (this.life === 'dead' && generation === this.generation)
      throw new DaemonGone(`Failed to connect socket to '${this.host.name}': Connection refused`);
    const ended = (): DaemonGone =>
      new DaemonGone(`the daemon of ${this.host.name} ended: End of file while reading data: Input/output error`);
    if (generation !== this.generation) throw ended();
    while (this.life === 'frozen') await new Promise<void>((resolve) => this.thawed.push(resolve));
    if (generation !== this.generation || this.life === 'dead') throw ended();
  }

  freeze(): void {
    if (this.life === 'running') this.life = 'frozen';
  }

  thaw(): void {
    if (this.life !== 'frozen') return;
    this.life = 'running';
    for (const wake of this.thawed.splice(0)) wake();
  }

  /** Dies: calls in flight and queued are lost; the registry (on disk) stays. */
  kill(): void {
    this.life = 'dead';
    this.generation++;
    this.pool.reset();
    for (const wake of this.thawed.splice(0)) wake();
  }

  /** Starts again; `recover` then settles the migration jobs its domains were in. */
  start(): void {
    this.generation++;
    this.life = 'running';
  }

  /**
   * A connection to a peer daemon, watched by keepalive: a probe every interval, and the
   * peer given up once `count` probes in a row went unanswered (a frozen or dead peer
   * answers none). `broken` rejects then, or as soon as the peer is seen dead or restarted
   * since `peerGeneration` (the life the connection was made with).
   */
  connect(peer: EmulatedDaemon, peerGeneration: number = peer.generation): PeerLink {
    let lastHeard = monotonicClock();
    let fail: (err: Error) => void = () => undefined;
    const broken = new Promise<never>((_, reject) => (fail = reject));
    broken.catch(() => undefined);
    const keepalive = !this.bugs.has('no-keepalive');
    // Checked often, so the peer is given up when the bound is reached, not at the next probe's turn.
    const timer = every(100, () => {
      if (this.life !== 'running') return; // a frozen daemon sends no probes
      // A connection belongs to one life of the peer: a restarted peer closed it.
      if (peer.life === 'dead' || peer.generation !== peerGeneration)
        return fail(
          new Error(
            `the peer ${peer.host.name} closed the connection: End of file while reading data: Input/output error`,
          ),
        );
      if (peer.life === 'running') lastHeard = monotonicClock();
      const bound = this.keepalive.interval * (this.keepalive.count + 1) * 1000;
      if (keepalive && monotonicClock() - lastHeard >= bound)
        fail(new Error('internal error: client socket is closed'));
    });
    return { broken, close: () => clearInterval(timer) };
  }
}

export interface PeerLink {
  readonly broken: Promise<never>;
  close(): void;
}
