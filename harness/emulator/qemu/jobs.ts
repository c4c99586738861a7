import type { BlockNode, OverlayNode } from './block.ts';
import type { Emit } from './machine.ts';
import { after } from '../../util/clock.ts';

// The emulated QEMU's block jobs, as the qemu driver runs them: block-stream (pull an
// overlay's backing into it) and blockdev-mirror (copy a node into a target, then stay
// READY until cancelled). Their progress is paced at `speed`; their events are QEMU's
// (JOB_STATUS_CHANGE, BLOCK_JOB_READY/COMPLETED/CANCELLED/ERROR), with auto-finalize and
// auto-dismiss on.

/** Sectors a job copies per step (64 KiB). */
const CHUNK = 128;
const SECTOR = 512;

export type JobStatus = 'created' | 'running' | 'ready' | 'waiting' | 'pending' | 'aborting' | 'concluded' | 'null';

export interface JobHooks {
  readonly emit: Emit;
  /** Called once the job is gone (status null). */
  readonly ended: (job: BlockJob) => void;
  /** A mirror whose target failed a write: bug 'mirror-error-stops-guest' acts on it. */
  readonly targetFailed?: () => void;
}

export abstract class BlockJob {
  status: JobStatus = 'created';
  offset = 0;
  protected cancelRequested = false;
  private wake?: () => void;

  constructor(
    readonly id: string,
    readonly type: 'stream' | 'mirror',
    readonly len: number,
    readonly speed: number,
    protected readonly hooks: JobHooks,
  ) {}

  start(): void {
    this.setStatus('created');
    this.setStatus('running');
    void this.run().catch((err: Error) => this.fail(err));
  }

  /** query-block-jobs' entry. */
  info(): Record<string, unknown> {
    return {
      type: this.type,
      device: this.id,
      len: this.len,
      offset: this.offset,
      speed: this.speed,
      busy: this.status === 'running',
      paused: false,
      'io-status': 'ok',
      ready: this.status === 'ready',
      status: this.status,
      'auto-finalize': true,
      'auto-dismiss': true,
    };
  }

  /** block-job-cancel: a READY mirror completes (its target a consistent copy); any other job is cancelled. */
  cancel(): void {
    if (this.status === 'ready') {
      this.finish();
      return;
    }
    this.cancelRequested = true;
    this.wake?.();
  }

  protected abstract run(): Promise<void>;

  protected data(): Record<string, unknown> {
    return { device: this.id, len: this.len, offset: this.offset, speed: this.speed, type: this.type };
  }

  /** Waits as long as `bytes` take at `speed` (or until cancelled). */
  protected pace(bytes: number): Promise<void> {
    if (!this.speed || bytes <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const timer = after((bytes / this.speed) * 1000, done);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  protected get cancelled(): boolean {
    return this.cancelRequested;
  }

  /** The job did all it had to: waiting, pending, COMPLETED, concluded, gone. */
  protected finish(): void {
    this.setStatus('waiting');
    this.setStatus('pending');
    this.hooks.emit('BLOCK_JOB_COMPLETED', this.data());
    this.conclude();
  }

  protected abortCancelled(): void {
    this.setStatus('aborting');
    this.hooks.emit('BLOCK_JOB_CANCELLED', this.data());
    this.conclude();
  }

  /** An I/O error (on-source-error / on-target-error report): the job ends with it. */
  protected fail(err: Error, operation: 'read' | 'write' = 'read'): void {
    this.hooks.emit('BLOCK_JOB_ERROR', { device: this.id, operation, action: 'report' });
    this.setStatus('aborting');
    this.hooks.emit('BLOCK_JOB_COMPLETED', { ...this.data(), error: err.message });
    this.conclude();
  }

  private conclude(): void {
    this.setStatus('concluded');
    this.setStatus('null');
    this.hooks.ended(this);
  }

  protected setStatus(status: JobStatus): void {
    this.status = status;
    this.hooks.emit('JOB_STATUS_CHANGE', { status, id: this.id });
  }
}

/** block-stream: the overlay pulls in, in order, what it does not hold yet; then drops its backing. */
export class StreamJob extends BlockJob {
  constructor(
    id: string,
    private readonly overlay: OverlayNode,
    speed: number,
    hooks: JobHooks,
    private readonly done: () => void,
  ) {
    super(id, 'stream', overlay.sectors * SECTOR, speed, hooks);
  }

  protected async run(): Promise<void> {
    const total = this.overlay.sectors;
    for (let sector = 0; sector < total; sector += CHUNK) {
      if (this.cancelled) return this.abortCancelled();
      const count = Math.min(CHUNK, total - sector);
      let copied: number;
      try {
        copied = await this.overlay.pull(sector, count);
      } catch (err) {
        return this.fail(err as Error, 'read');
      }
      this.offset += count * SECTOR;
      await this.pace(copied);
    }
    if (this.cancelled) return this.abortCancelled();
    this.done();
    this.finish();
  }
}

/** blockdev-mirror sync=full: every sector of the source into the target, then READY. */
export class MirrorJob extends BlockJob {
  constructor(
    id: string,
    private readonly source: BlockNode,
    private readonly target: BlockNode,
    speed: number,
    hooks: JobHooks,
  ) {
    super(id, 'mirror', source.sectors * SECTOR, speed, hooks);
  }

  protected async run(): Promise<void> {
    const total = this.source.sectors;
    for (let sector = 0; sector < total; sector += CHUNK) {
      if (this.cancelled) return this.abortCancelled();
      const count = Math.min(CHUNK, total - sector);
      let data: Buffer;
      try {
        data = await this.source.read(sector, count);
      } catch (err) {
        return this.fail(err as Error, 'read');
      }
      try {
        await this.target.write(sector, data);
      } catch (err) {
        this.fail(err as Error, 'write');
        this.hooks.targetFailed?.();
        return;
      }
      this.offset += count * SECTOR;
      await this.pace(count * SECTOR);
    }
    if (this.cancelled) return this.abortCancelled();
    this.setStatus('ready');
    this.hooks.emit('BLOCK_JOB_READY', this.data());
  }
}
