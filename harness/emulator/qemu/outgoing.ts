import type { Socket } from 'node:net';
import { after, monotonicClock } from '../../util/clock.ts';
import { PASS_MS, WALKED_BYTES, WALKED_PAGE_COUNT } from './guest.ts';
import type { Machine } from './machine.ts';
import { describeErrno, dial, encode, type Frame } from './stream.ts';

// The source side of a migration, as QEMU's migration thread runs it: setup, pre-copy
// rounds at max-bandwidth while the guest dirties its pages, a stop-and-copy switchover
// once what is left fits downtime-limit, or post-copy when asked; cancel; and the pause and
// recovery of a post-copy migration whose link broke. And cpr-transfer (QEMU >= 10.0): the
// RAM's descriptors go over the cpr channel, the guest stops, only device state goes over
// the main one.

/** The pump's rate, on the wall clock: each pump moves what the run's clock says elapsed. */
const PUMP_MS = 10;
/** How long `ignores-downtime-limit` keeps the guest paused at switchover. */
const SLOW_SWITCHOVER_MS = 2000;
/**
 * What a cpr-transfer stream carries: device state only, every RAM block (ROMs and video RAM
 * too, with aux-ram-share=on) is handed over by descriptor. ~110 KiB as QEMU 10.0 sent it for
 * the test guest.
 */
export const CPR_STREAM_BYTES = 112_640;

type Status =
  | 'setup'
  | 'active'
  | 'pre-switchover'
  | 'device'
  | 'postcopy-active'
  | 'postcopy-paused'
  | 'postcopy-recover'
  | 'cancelling'
  | 'completed'
  | 'failed'
  | 'cancelled';

export class Outgoing {
  status: Status = 'setup';
  errorDesc?: string;
  private socket?: Socket;
  private cprChannel?: Socket;
  private readonly startedAt = monotonicClock();
  private setupMs?: number;
  private endedAt?: number;
  private downtimeMs?: number;
  private transferred = 0;
  private remaining = 0;
  private dirty = 0;
  private pass = 0;
  private lastPump = 0;
  private pump?: NodeJS.Timeout;
  private blockedOnWrite = false;
  private postcopyRequested = false;
  /** The guest was paused by this migration (switchover or post-copy), not by the user. */
  private stoppedGuest = false;
  private switchingOver = false;
  /** A cpr-transfer migration: no RAM is sent. */
  private cpr = false;
  /** migrate-continue's wake-up, while paused before switch-over. */
  private continueSwitchover?: () => void;

  constructor(private readonly vm: Machine) {}

  get ended(): boolean {
    return this.status === 'completed' || this.status === 'failed' || this.status === 'cancelled';
  }

  async start(uri: string): Promise<void> {
    if (!this.vm.has('no-setup-event')) this.setStatus('setup');
    let socket: Socket;
    try {
      socket = await dial(uri);
    } catch (err) {
      if (this.vm.has('hangs-on-unreachable')) return;
      this.fail((err as Error).message);
      return;
    }
    if (this.ended) return void socket.destroy(); // cancelled while connecting
    this.attach(socket);
    this.setupMs = monotonicClock() - this.startedAt;
    this.send({
      t: 'hello',
      name: this.vm.identity.name,
      ...(this.vm.capability('validate-uuid') && { uuid: this.vm.identity.uuid }),
      version: this.vm.version,
      ramTotal: this.vm.ramTotal(),
    });
    this.remaining = this.vm.ramTotal();
    this.nextPass();
    this.setStatus('active');
    this.lastPump = monotonicClock();
    this.pump = setInterval(() => this.step(), PUMP_MS);
  }

  /**
   * cpr-transfer, first half (inside QEMU's `migrate` command): the CPR state, the RAM's
   * descriptors, goes over the cpr channel. A destination nobody listens at fails the command
   * and the migration.
   */
  async saveCprState(cprUri: string): Promise<void> {
    this.cpr = true;
    this.setStatus('setup');
    let channel: Socket;
    try {
      channel = await dial(cprUri);
    } catch (err) {
      this.fail((err as Error).message);
      throw err;
    }
    channel.on('error', () => undefined);
    const path = this.vm.launch.sharedMemoryPath;
    channel.write(encode({ t: 'cpr', ram: path !== undefined ? [{ name: 'ram0', path }] : [] }));
    this.cprChannel = channel;
  }

  /**
   * cpr-transfer, second half: the destination says it listens on the main channel by closing
   * the cpr one (its HUP); then the guest stops and its device state goes over the main channel.
   */
  async finishCpr(mainUri: string): Promise<void> {
    const channel = this.cprChannel;
    if (!channel) return;
    await new Promise<void>((resolve) => {
      channel.once('close', () => resolve());
      channel.resume();
    });
    if (this.ended || this.status === 'cancelling') return;
    let socket: Socket;
    try {
      socket = await dial(mainUri);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    if (this.ended) return void socket.destroy();
    this.attach(socket);
    this.setupMs = monotonicClock() - this.startedAt;
    // CPR stops the guest before anything is saved: no dirty tracking, no pre-copy rounds.
    this.stopGuest();
    const stoppedAt = monotonicClock();
    this.setStatus('active');
    this.send({
      t: 'hello',
      name: this.vm.identity.name,
      ...(this.vm.capability('validate-uuid') && { uuid: this.vm.identity.uuid }),
      version: this.vm.version,
      ramTotal: 0,
    });
    this.send({ t: 'device', state: { ...this.vm.guest.state }, damage: this.vm.guest.damage, postcopy: false });
    this.send({ t: 'end' });
    this.transferred = CPR_STREAM_BYTES;
    this.socket?.write('', () => {
      if (this.ended) return;
      this.downtimeMs = monotonicClock() - stoppedAt;
      this.complete();
    });
  }

  requestPostcopy(): void {
    if (!this.vm.capability('postcopy-ram'))
      throw new Error('Enable postcopy with migrate_set_capability before the start of migration');
    if (this.status !== 'active') throw new Error('Postcopy must be started after migration has been started');
    this.postcopyRequested = true;
  }

  cancel(): void {
    if (this.ended) return;
    if (this.vm.has('ignores-cancel')) return;
    this.setStatus('cancelling');
    this.stopPumping();
    this.socket?.destroy();
    this.cprChannel?.destroy();
    after(20, () => {
      this.setStatus('cancelled');
      this.endedAt = monotonicClock();
      this.resumeGuest();
      this.vm.spice?.migrationAbandoned();
    });
  }

  /** migrate-continue: a migration paused before switch-over (pause-before-switchover) goes on. */
  continueFrom(state: string): void {
    if (this.status !== 'pre-switchover' || state !== 'pre-switchover')
      throw new Error(`Migration not in expected state: ${state}`);
    this.continueSwitchover?.();
  }

  /** migrate resume=true: a paused post-copy migration goes on over a new connection. */
  async resume(uri: string): Promise<void> {
    if (this.status !== 'postcopy-paused') throw new Error('Cannot resume if there is no paused migration');
    this.setStatus('postcopy-recover');
    let socket: Socket;
    try {
      socket = await dial(uri);
    } catch {
      this.setStatus('postcopy-paused');
      return;
    }
    this.attach(socket);
    this.send({ t: 'resume' });
    this.setStatus('postcopy-active');
    this.lastPump = monotonicClock();
    this.pump = setInterval(() => this.step(), PUMP_MS);
  }

  /** query-migrate's answer. */
  info(): Record<string, unknown> {
    const now = this.endedAt ?? monotonicClock();
    return {
      status: this.status,
      ...(this.errorDesc !== undefined && { 'error-desc': this.errorDesc }),
      ...(this.setupMs !== undefined && { 'setup-time': Math.round(this.setupMs) }),
      'total-time': Math.round(now - this.startedAt),
      ...(this.downtimeMs !== undefined && { downtime: Math.round(this.downtimeMs) }),
      // cpr-transfer sends no RAM block: QEMU counts none in ram.total either.
      ram: {
        transferred: Math.round(this.transferred),
        total: this.cpr ? 0 : this.vm.ramTotal(),
        remaining: Math.round(this.remaining),
      },
    };
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) => this.lost(`Unable to write to socket: ${describeErrno(err)}`));
    // The destination's end of the connection: its return path going away.
    socket.on('end', () => this.lost('Unable to write to socket: Connection reset by peer'));
    socket.on('close', () => this.lost('Unable to write to socket: Broken pipe'));
    socket.on('drain', () => (this.blockedOnWrite = false));
    socket.resume();
  }

  private send(frame: Frame): void {
    if (!this.socket?.writable) return;
    if (!this.socket.write(encode(frame))) this.blockedOnWrite = true;
  }

  private step(): void {
    const now = monotonicClock();
    const dt = now - this.lastPump;
    this.lastPump = now;
    if (this.switchingOver || this.blockedOnWrite) return;
    const postcopy = this.status === 'postcopy-active';
    if (this.status !== 'active' && !postcopy) return;
    const bandwidth =
      postcopy && this.vm.parameters.maxPostcopyBandwidth > 0
        ? this.vm.parameters.maxPostcopyBandwidth
        : this.vm.parameters.maxBandwidth;
    if (!postcopy && this.vm.guest.running && this.vm.ramTotal() > WALKED_BYTES) {
      this.dirty = Math.min(WALKED_BYTES, this.dirty + (WALKED_BYTES * dt) / PASS_MS);
    }
    const bytes = Math.min(this.remaining, (bandwidth * dt) / 1000);
    if (bytes > 0) {
      this.send({ t: 'ram', bytes });
      this.transferred += bytes;
      this.remaining -= bytes;
    }
    if (this.remaining > 0) return;
    if (postcopy) return this.complete();
    if (this.postcopyRequested) return this.enterPostcopy();
    if ((this.dirty / bandwidth) * 1000 <= this.vm.parameters.downtimeLimitMs) return void this.switchover(bandwidth);
    this.remaining = this.dirty;
    this.dirty = 0;
    this.nextPass();
  }

  private nextPass(): void {
    this.pass++;
    this.vm.emit('MIGRATION_PASS', { pass: this.pass });
  }

  /** Stop and copy: the guest pauses, what it dirtied last goes, then its device state. */
  private async switchover(bandwidth: number): Promise<void> {
    this.switchingOver = true;
    this.stopGuest();
    const stoppedAt = monotonicClock();
    if (this.vm.capability('pause-before-switchover')) {
      this.setStatus('pre-switchover');
      await new Promise<void>((resolve) => (this.continueSwitchover = resolve));
      this.continueSwitchover = undefined;
      if (this.status !== 'pre-switchover') return; // cancelled or failed meanwhile
      this.setStatus('device');
    }
    this.nextPass();
    const last = this.dirty;
    const copyMs = this.vm.has('ignores-downtime-limit') ? SLOW_SWITCHOVER_MS : (last / bandwidth) * 1000;
    await new Promise<void>((resolve) => after(copyMs, resolve));
    if (this.ended) return;
    // The bug: the pages dirtied last (a tenth of the walk) go over as they were a pass before.
    const damage = this.vm.has('stale-final-pages')
      ? [{ fromPage: 0, toPage: Math.floor(WALKED_PAGE_COUNT / 10), delta: -1 }]
      : [];
    if (!this.vm.has('stale-final-pages')) this.send({ t: 'ram', bytes: last });
    this.transferred += last;
    this.remaining = 0;
    this.send({ t: 'device', state: { ...this.vm.guest.state }, damage, postcopy: false });
    this.send({ t: 'end' });
    this.socket?.write('', () => {
      if (this.ended) return;
      this.downtimeMs = monotonicClock() - stoppedAt;
      this.complete();
    });
  }

  private enterPostcopy(): void {
    this.setStatus('postcopy-active');
    this.stopGuest();
    this.nextPass();
    this.remaining = this.dirty;
    this.dirty = 0;
    this.send({ t: 'device', state: { ...this.vm.guest.state }, damage: this.vm.guest.damage, postcopy: true });
    this.downtimeMs = 2;
  }

  private complete(): void {
    if (this.status === 'postcopy-active') this.send({ t: 'end' });
    this.stopPumping();
    this.endedAt = monotonicClock();
    this.setStatus('completed');
    this.vm.runState = 'postmigrate';
    this.socket?.end();
    this.vm.spice?.migrationCompleted();
    if (this.vm.has('source-resumes-after-handover')) after(50, () => this.vm.setRunState('running'));
  }

  /** The connection broke: a pre-copy migration fails, a post-copy one pauses. */
  private lost(desc: string): void {
    if (this.ended || this.status === 'cancelling' || this.status === 'postcopy-paused') return;
    if (this.status === 'postcopy-recover' && this.socket?.destroyed === false) return;
    this.stopPumping();
    this.socket?.destroy();
    if (this.status === 'postcopy-active' || this.status === 'postcopy-recover') {
      this.setStatus('postcopy-paused');
      return;
    }
    this.fail(desc);
  }

  private fail(desc: string): void {
    this.stopPumping();
    this.switchingOver = false;
    this.errorDesc = desc;
    this.endedAt = monotonicClock();
    this.setStatus('failed');
    this.vm.spice?.migrationAbandoned();
    if (this.vm.has('source-stops-with-destination')) {
      this.stoppedGuest = false;
      if (this.vm.runState === 'running') this.vm.setRunState('paused');
      return;
    }
    this.resumeGuest();
  }

  private stopGuest(): void {
    if (this.vm.runState !== 'running') return;
    this.stoppedGuest = true;
    this.vm.setRunState('finish-migrate');
  }

  private resumeGuest(): void {
    if (!this.stoppedGuest) return;
    this.stoppedGuest = false;
    this.vm.setRunState('running');
  }

  private stopPumping(): void {
    clearInterval(this.pump);
    this.pump = undefined;
  }

  private setStatus(status: Status): void {
    this.status = status;
    if (this.vm.capability('events')) this.vm.emit('MIGRATION', { status });
  }
}
