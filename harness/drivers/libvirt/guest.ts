import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host, ProcessExit } from '../../hosts/types.ts';
import { phaseLogPath } from './phases.ts';
import { hostUri, virsh, VirshError } from './virsh.ts';
import type { Clock } from '../../util/clock.ts';
import type {
  EvidenceFile,
  GuestHandle,
  MemoryVisitor,
  MigrationStatus,
  RunState,
  Side,
  SpiceStatus,
} from '../types.ts';
import { dumpAndScan } from '../memory-dump.ts';
import { toSpiceStatus, type QuerySpice } from '../spice-status.ts';

/** Every virsh call a guest makes, with its timing and outcome: evidence of what libvirt said. */
export class VirshTranscript {
  private readonly lines: string[] = [];
  /** Ends calls still waiting (a deadlocked daemon answers none) when the scenario ends. */
  private readonly abandon = new AbortController();
  constructor(
    readonly path: string,
    private readonly clock: Clock,
  ) {}

  async call(uri: string, args: ReadonlyArray<string>, timeoutMs = 30_000): Promise<string> {
    const started = this.clock();
    try {
      const out = await virsh(uri, args, timeoutMs, this.abandon.signal);
      this.lines.push(
        `${started.toFixed(1)}\t${(this.clock() - started).toFixed(1)}ms\t${uri}\tvirsh ${args.join(' ')}\tok\t${out.trim().replace(/\s+/g, ' ').slice(0, 300)}`,
      );
      return out;
    } catch (err) {
      this.lines.push(
        `${started.toFixed(1)}\t${(this.clock() - started).toFixed(1)}ms\t${uri}\tvirsh ${args.join(' ')}\tERROR\t${(err as Error).message}`,
      );
      throw err;
    }
  }

  note(line: string): void {
    this.lines.push(`${this.clock().toFixed(1)}\t${line}`);
  }

  abandonPending(): void {
    this.abandon.abort();
  }

  flush(): Promise<void> {
    return writeFile(this.path, `${this.lines.join('\n')}\n`);
  }
}

/** A guest as one libvirt daemon knows it (a destination exists only once migration begins). */
export class LibvirtGuest implements GuestHandle {
  readonly uri: string;
  readonly exited: Promise<ProcessExit>;
  private markExited!: (exit: ProcessExit) => void;
  private gone = false;
  /** The last MIGRATION status QEMU reported through libvirt, for a job still under way. */
  lastMigrationStatus?: MigrationStatus;
  /** The running domain's migratable XML, taken at start. */
  migratableXml?: string;

  constructor(
    readonly side: Side,
    readonly host: Host,
    readonly name: string,
    readonly serialSocket: string,
    readonly accelerator: string,
    private readonly transcript: VirshTranscript,
    private readonly clock: Clock,
    readonly uuid?: string,
  ) {
    this.uri = hostUri(host.address);
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  /** QEMU's end, seen as a SHUTDOWN event or as the domain no longer running. */
  noteExit(): void {
    if (this.gone) return;
    this.gone = true;
    this.markExited({ code: null, signal: null, t: this.clock() });
  }

  virsh(args: ReadonlyArray<string>, timeoutMs?: number): Promise<string> {
    return this.transcript.call(this.uri, args, timeoutMs);
  }

  /** libvirt's state answered by a high-priority call, so it works while workers are busy. */
  async runState(): Promise<RunState> {
    let out: string;
    try {
      out = (await this.virsh(['domstate', this.name, '--reason'], 5000)).trim();
    } catch (err) {
      if (err instanceof VirshError && /failed to get domain|not found/i.test(err.libvirtMessage)) {
        this.noteExit();
        return 'gone';
      }
      throw err;
    }
    if (out.startsWith('running')) return 'running';
    if (out.startsWith('paused')) {
      if (/migration/.test(out)) return this.side === 'destination' ? 'inmigrate' : 'finish-migrate';
      if (/I\/O error/i.test(out)) return 'io-error';
      return 'paused';
    }
    if (/shut off|crashed/.test(out)) {
      this.noteExit();
      return 'gone';
    }
    return 'other';
  }

  async pause(): Promise<void> {
    await this.virsh(['suspend', this.name]);
  }

  async resume(): Promise<void> {
    await this.virsh(['resume', this.name]);
  }

  async scanMemory(address: number, length: number, visit: MemoryVisitor): Promise<void> {
    // The file lands in the host's folder, which the harness sees at the same path.
    const file = join(this.host.workDir, `mem-${this.side}-${address.toString(16)}.bin`);
    const command = JSON.stringify({ execute: 'pmemsave', arguments: { val: address, size: length, filename: file } });
    await dumpAndScan(
      file,
      () => this.virsh(['qemu-monitor-command', this.name, command], 60_000),
      address,
      length,
      visit,
    );
  }

  spiceAddress?: { host: string; port: number };

  /** Where the domain's SPICE server listens (the host's address, the port libvirt chose). */
  async findSpiceAddress(): Promise<void> {
    const uri = (await this.virsh(['domdisplay', this.name])).trim();
    const port = Number(/:(\d+)\/?$/.exec(uri)?.[1]);
    if (Number.isFinite(port)) this.spiceAddress = { host: this.host.address, port };
  }

  async spice(): Promise<SpiceStatus> {
    const out = await this.virsh(['qemu-monitor-command', this.name, JSON.stringify({ execute: 'query-spice' })], 5000);
    return toSpiceStatus((JSON.parse(out) as { return: QuerySpice }).return);
  }

  evidence(): EvidenceFile[] {
    return [
      { label: `virsh transcript (${this.side})`, path: this.transcript.path },
      { label: `libvirt's QEMU log (${this.side})`, path: this.qemuLogCopy() },
      { label: `libvirtd phase log (${this.host.name})`, path: phaseLogPath(this.host) },
    ];
  }

  qemuLogCopy(): string {
    return join(this.host.workDir, `qemu-${this.side}.log`);
  }

  /** Signals the domain's QEMU inside its host, found by libvirt's own pid file. */
  async signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const pidFile = `/run/libvirt/qemu/${this.name}.pid`;
    const result = await this.host.exec(['sh', '-c', `kill -${signal.slice(3)} "$(cat '${pidFile}')"`], {
      timeoutMs: 10_000,
    });
    this.transcript.note(
      `${signal} to the QEMU of ${this.name} on ${this.host.name}: ${result.code === 0 ? 'sent' : result.stderr.trim()}`,
    );
    if (result.code !== 0)
      throw new Error(`could not signal the QEMU of ${this.name} on ${this.host.name}: ${result.stderr.trim()}`);
  }

  /** Keeps libvirt's log of this domain's QEMU, then ends and forgets the domain. */
  async destroy(): Promise<void> {
    const log = await this.host
      .exec(['cat', `/var/log/libvirt/qemu/${this.name}.log`], { timeoutMs: 5000 })
      .catch(() => undefined);
    if (log) await writeFile(this.qemuLogCopy(), log.stdout).catch(() => undefined);
    await this.virsh(['destroy', this.name], 15_000).catch(() => undefined);
    await this.virsh(['undefine', this.name], 15_000).catch(() => undefined);
    this.transcript.abandonPending();
    this.noteExit();
    await this.transcript.flush().catch(() => undefined);
  }
}
