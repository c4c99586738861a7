import type { Server, Socket } from 'node:net';
import { compareVersions } from '../../util/versions.ts';
import { WALKED_PAGE_COUNT } from './guest.ts';
import type { Machine } from './machine.ts';
import type { CprState } from './cpr.ts';
import { listen, readFrames, type Frame } from './stream.ts';

// The destination side, as an -incoming defer QEMU runs it: migrate-incoming listens, the
// stream is loaded, and the guest runs on from the source's state once it is all there (or,
// in post-copy, once the device state came: missing pages are fetched as the guest needs
// them). A stream that breaks before the end fails the migration and ends QEMU; in post-copy
// the guest cannot go on without its pages and the migration pauses until migrate-recover.
// A cpr-transfer destination got its RAM's descriptors first (cpr.ts): its guest's memory is
// the source's own, and only device state comes over the stream.

type Status = 'setup' | 'active' | 'postcopy-active' | 'postcopy-paused' | 'postcopy-recover' | 'completed' | 'failed';

export class Incoming {
  status: Status = 'setup';
  private server?: Server;
  private socket?: Socket;
  private postcopy = false;
  private done = false;

  /** @param cpr the CPR state a cpr-transfer destination received before its monitor opened. */
  constructor(
    private readonly vm: Machine,
    private readonly cpr?: CprState,
  ) {}

  async listen(uri: string): Promise<void> {
    this.server = await listen(uri, (socket) => this.accept(socket));
    this.setStatus('setup');
  }

  /** migrate-recover: a paused post-copy migration's source may connect again here. */
  async recover(uri: string): Promise<void> {
    if (this.status !== 'postcopy-paused') throw new Error('Migrate recover can only be run when postcopy is paused.');
    if (this.vm.has('no-postcopy-recovery')) throw new Error('Migrate recovery is not supported by this QEMU');
    this.server = await listen(uri, (socket) => this.accept(socket));
    this.setStatus('setup');
  }

  info(): Record<string, unknown> {
    return { status: this.status };
  }

  private accept(socket: Socket): void {
    this.server?.close();
    this.server = undefined;
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('close', () => this.lost());
    if (this.status === 'setup' && this.postcopy) this.setStatus('postcopy-recover');
    else this.setStatus('active');
    readFrames(socket, (frame) => this.onFrame(frame));
  }

  private onFrame(frame: Frame): void {
    switch (frame.t) {
      case 'hello': {
        const mine = this.vm.launch.uuid;
        if (
          frame.uuid !== undefined &&
          mine !== undefined &&
          frame.uuid !== mine &&
          !this.vm.has('ignores-validate-uuid')
        ) {
          return this.abort(`UUID mismatch: the source's is ${frame.uuid}, this guest's ${mine}`);
        }
        if (this.vm.has('refuses-older-stream') && compareVersions(frame.version, this.vm.version) < 0) {
          return this.abort(`Unknown savevm section or instance 'kvm-tpr-opt' 0 (stream of QEMU ${frame.version})`);
        }
        return;
      }
      case 'ram':
        return;
      case 'device':
        if (this.cpr && this.vm.has('cpr-loses-ram')) {
          // The bug: fresh RAM mapped instead of the descriptors passed. The CPU goes on where
          // it was, over memory that reads zeros: the guest's counters (in RAM) start over.
          this.vm.guest.state = { passes: 0, boots: 0, position: frame.state.position };
          this.vm.guest.damage = [];
        } else {
          this.vm.guest.state = { ...frame.state };
          this.vm.guest.damage = [...frame.damage];
        }
        if (frame.postcopy) {
          this.postcopy = true;
          this.setStatus('postcopy-active');
          this.run();
        }
        return;
      case 'cpr':
        return; // only on the cpr channel
      case 'resume':
        this.vm.guest.blocked = false;
        this.setStatus('postcopy-active');
        return;
      case 'end':
        this.done = true;
        if (!this.postcopy) this.run();
        this.setStatus('completed');
        return;
    }
  }

  private run(): void {
    if (this.vm.has('destination-reboots')) {
      this.vm.setRunState('running');
      this.vm.guest.boot();
      return;
    }
    this.vm.setRunState(this.vm.autostart ? 'running' : 'paused');
  }

  /** The stream broke before its end. */
  private lost(): void {
    this.socket = undefined;
    if (this.done || this.status === 'failed') return;
    if (this.postcopy) {
      if (this.vm.has('zeros-for-missing-pages')) {
        // The pages that never came read as zeros, and the guest walks on over them.
        const passes = this.vm.guest.state.passes;
        this.vm.guest.damage = [
          ...this.vm.guest.damage,
          { fromPage: Math.floor(WALKED_PAGE_COUNT / 2), toPage: WALKED_PAGE_COUNT, delta: -passes },
        ];
        return;
      }
      this.vm.guest.blocked = true;
      this.setStatus('postcopy-paused');
      return;
    }
    if (this.vm.has('runs-without-state')) {
      this.setStatus('failed');
      this.vm.setRunState('running');
      this.vm.guest.boot();
      return;
    }
    this.abort('load of migration failed: Input/output error');
  }

  private abort(message: string): void {
    this.setStatus('failed');
    this.socket?.destroy();
    this.vm.fatal(message);
  }

  private setStatus(status: Status): void {
    this.status = status;
    if (this.vm.capability('events')) this.vm.emit('MIGRATION', { status });
  }
}
