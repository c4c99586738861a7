import { existsSync } from 'node:fs';
import { appendFile, copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QmpClient } from '../../qmp/index.ts';
import type { StatusInfo } from '../../qmp/index.ts';
import type { HostProcess } from '../../hosts/types.ts';
import { wallTime, type Clock } from '../../util/clock.ts';
import { pollUntil, sleep } from '../../util/deadline.ts';
import { UsageError } from '../../util/errors.ts';
import type {
  DriverEvent,
  EvidenceFile,
  GuestHandle,
  MemoryVisitor,
  MigrationStatus,
  RunState,
  SpiceStatus,
  StartGuestRequest,
} from '../types.ts';
import { dumpAndScan } from '../memory-dump.ts';
import { qemuArgs, type DataDisk } from './cmdline.ts';
import { toSpiceStatus, type QuerySpice } from '../spice-status.ts';
import { FINAL_STATUSES, RUN_STATES } from '../vocabulary.ts';

/** QEMU's run states that cutover has a word for; the others it calls 'other'. */
const KNOWN_STATES: ReadonlySet<string> = new Set(
  RUN_STATES.filter((s) => s !== 'other' && s !== 'gone' && s !== 'unknown'),
);

export interface QemuGuestOptions {
  /** Names this guest's files in its host's folder: the side, or side and guest name. */
  readonly tag: string;
  /** The QEMU to start: command, then the arguments that precede QEMU's own. */
  readonly emulator: {
    readonly command: string;
    readonly prefixArgs: ReadonlyArray<string>;
    readonly version?: string;
  };
  /** The data disk, prepared by the driver (a copy, an overlay, an empty mirror target). */
  readonly dataDisk?: DataDisk;
  /** Give the guest a SPICE server on this loopback port. */
  readonly spicePort?: number;
  /** Start with -S: an incoming guest stays paused after its state arrived, until resumed (as libvirt starts it). */
  readonly startPaused?: boolean;
  readonly kvmUsable: boolean;
  readonly clock: Clock;
  readonly emit: (event: DriverEvent) => void;
}

/** One QEMU process and its QMP connection (commands and events share it: QMP serves one client). */
export class QemuGuest implements GuestHandle {
  readonly side;
  readonly host;
  readonly name: string;
  readonly uuid?: string;
  readonly exited;
  private closing = false;
  accelerator?: string;
  emulatorVersion?: string;

  private client?: QmpClient;
  /** Whether the harness itself is ending this guest (teardown), not a fault. */
  get ending(): boolean {
    return this.closing;
  }

  get tag(): string {
    return this.options.tag;
  }

  /** Where a cpr-transfer destination waits for the source's RAM descriptors. */
  cprSocket?: string;

  private constructor(
    private readonly request: StartGuestRequest,
    private readonly options: QemuGuestOptions,
    readonly process: HostProcess,
    private readonly files: { transcript: string; log: string; qmpSocket: string },
  ) {
    this.side = request.side;
    this.host = request.host;
    this.name = request.spec.name;
    if (request.spec.uuid !== undefined) this.uuid = request.spec.uuid;
    this.exited = process.exited;
    if (options.emulator.version) this.emulatorVersion = options.emulator.version;
    if (options.spicePort !== undefined) this.spiceAddress = { host: '127.0.0.1', port: options.spicePort };
  }

  /** The QMP connection; a cpr-transfer destination has none until its state arrived. */
  get qmp(): QmpClient {
    if (!this.client) throw new Error(`the ${this.side} QEMU's monitor is not connected yet`);
    return this.client;
  }

  get attached(): boolean {
    return this.client !== undefined;
  }

  /**
   * Starts QEMU and connects to its monitor. A cpr-transfer destination (`cprSocket`) opens
   * its monitor only once the source sent its state: it is started, and attached later.
   */
  static async start(request: StartGuestRequest, options: QemuGuestOptions, cprSocket?: string): Promise<QemuGuest> {
    const dir = request.host.workDir;
    const { tag } = options;
    const files = {
      transcript: join(dir, `qmp-${tag}.log`),
      log: join(dir, `qemu-${tag}.log`),
      qmpSocket: join(dir, `qmp-${tag}.sock`),
    };
    // Each guest boots from its own copy: the image belongs to the host, as a disk would.
    const bootImage = join(dir, `boot-${tag}.img`);
    await copyFile(request.spec.bootImage, bootImage);
    const args = [
      ...options.emulator.prefixArgs,
      ...qemuArgs({
        spec: request.spec,
        bootImage,
        qmpSocket: files.qmpSocket,
        incoming: request.incoming,
        kvmUsable: options.kvmUsable,
        ...(options.spicePort !== undefined && { spicePort: options.spicePort }),
        ...(options.startPaused && { startPaused: true }),
        ...(request.spec.sharedMemory && { sharedMemoryPath: sharedMemoryPath(request) }),
        ...(cprSocket !== undefined && { cprSocket }),
        ...(options.dataDisk && { dataDisk: options.dataDisk }),
      }),
    ];
    const command = options.emulator.command;
    await appendFile(files.log, `# ${command} ${args.join(' ')}\n`);
    const child = request.host.spawn({ command, args, label: `qemu-${tag}`, logPath: files.log });
    const guest = new QemuGuest(request, options, child, files);
    if (cprSocket !== undefined) {
      guest.cprSocket = cprSocket;
      await pollUntil(`the cpr socket ${cprSocket}`, wallTime(15_000), async () =>
        existsSync(cprSocket) ? true : child.alive ? undefined : exitedEarly(child, files.log, request.host.name),
      );
      return guest;
    }
    await guest.attach().catch(async (err) => {
      await child.stop(1000);
      throw err;
    });
    return guest;
  }

  /** Connects to QEMU's monitor and forwards its events. */
  async attach(): Promise<void> {
    if (this.client) return;
    const { request, options, files } = this;
    const transcriptLines: string[] = [];
    const qmp = await connectQmp(files.qmpSocket, this.process, files.log, request.host.name, options.clock, (line) =>
      transcriptLines.push(line),
    );
    // The transcript is flushed in batches so a QMP-heavy test does not wait on the disk.
    const flush = setInterval(() => void flushLines(files.transcript, transcriptLines), 500);
    void this.process.exited.finally(() => {
      clearInterval(flush);
      void flushLines(files.transcript, transcriptLines);
    });
    qmp.on('event', (e) => {
      const status = e.event === 'MIGRATION' ? (e.data as { status?: string } | undefined)?.status : undefined;
      options.emit({
        t: e.receivedAt,
        side: request.side,
        guest: request.spec.name,
        host: request.host.name,
        name: e.event,
        data: e.data,
        ...(status ? { migrationStatus: status as MigrationStatus } : {}),
      });
    });
    this.client = qmp;
  }

  spiceAddress?: { host: string; port: number };

  async spice(): Promise<SpiceStatus> {
    return toSpiceStatus(await this.qmp.execute<QuerySpice>('query-spice', undefined, { timeoutMs: 5000 }));
  }

  async runState(): Promise<RunState> {
    if (!this.process.alive) return 'gone';
    if (!this.client) return 'inmigrate';
    try {
      const info = await this.qmp.execute<StatusInfo>('query-status', undefined, { timeoutMs: 5000 });
      return KNOWN_STATES.has(info.status) ? (info.status as RunState) : 'other';
    } catch (err) {
      if (!this.process.alive) return 'gone';
      throw err;
    }
  }

  async pause(): Promise<void> {
    await this.qmp.execute('stop');
  }

  async resume(): Promise<void> {
    await this.qmp.execute('cont');
  }

  async scanMemory(address: number, length: number, visit: MemoryVisitor): Promise<void> {
    const file = join(this.host.workDir, `mem-${this.side}-${address.toString(16)}.bin`);
    const dump = () =>
      this.qmp.execute('pmemsave', { val: address, size: length, filename: file }, { timeoutMs: 60_000 });
    await dumpAndScan(file, dump, address, length, visit);
  }

  evidence(): EvidenceFile[] {
    return [
      { label: `QMP transcript (${this.side})`, path: this.files.transcript },
      { label: `QEMU output (${this.side})`, path: this.files.log },
    ];
  }

  /** How the migration started after `since` (a QMP mark) ended, once it has: never, if it never does. */
  async migrationEnded(since: number): Promise<'completed' | 'failed' | 'cancelled' | undefined> {
    const ending: ReadonlyArray<string> = FINAL_STATUSES;
    const end = await this.qmp
      .waitForEvent(
        (e) => e.event === 'MIGRATION' && ending.includes((e.data as { status?: string } | undefined)?.status ?? ''),
        { timeoutMs: 24 * 3600_000, since },
      )
      .catch(() => undefined);
    return (end?.data as { status?: 'completed' | 'failed' | 'cancelled' } | undefined)?.status;
  }

  dataDiskImage(): { path: string; format: 'raw' | 'qcow2' } | undefined {
    const disk = this.options.dataDisk;
    if (!disk) return undefined;
    return disk.kind === 'file' ? { path: disk.path, format: 'raw' } : { path: disk.overlay, format: 'qcow2' };
  }

  async signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    this.process.signal(signal);
  }

  async destroy(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.client?.close();
    await this.process.stop(2000);
  }
}

/** The guest's RAM file on its host: the same for every QEMU of that guest on that host. */
export function sharedMemoryPath(request: Pick<StartGuestRequest, 'host' | 'spec'>): string {
  return join(request.host.memoryDir, `ram-${request.spec.name}`);
}

/** What cutover asks of every QEMU once its monitor answers. */
export async function prepareMonitor(guest: QemuGuest): Promise<void> {
  const kvm = await guest.qmp.execute<{ enabled: boolean }>('query-kvm');
  guest.accelerator = kvm.enabled ? 'kvm' : 'tcg';
  // Without the events capability QEMU sends no MIGRATION events at all.
  await guest.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
}

/**
 * QEMU ended while starting: the host cannot start this guest. Said in one line with QEMU's
 * own last words (an unknown machine type, RAM it cannot allocate...) and where to look.
 */
async function exitedEarly(child: HostProcess, logPath: string, host: string): Promise<never> {
  // The log is in the scenario's scratch folder, which goes with the run: its words go in the message.
  const exit = await child.exited;
  const log = await readFile(logPath, 'utf8').catch(() => '');
  const said = log
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .slice(-3)
    .join(' | ');
  throw new UsageError(
    `QEMU could not start the guest on ${host} (exit code ${exit.code}, signal ${exit.signal}): ${said || 'no output'}`,
    `check the scenario's guest (machine, memoryMiB, emulator); \`npx cutover doctor\` shows what this machine has`,
  );
}

/** Connects once QEMU has created its socket; fails fast (with QEMU's own words) if it died. */
async function connectQmp(
  socket: string,
  child: HostProcess,
  logPath: string,
  host: string,
  clock: Clock,
  record: (line: string) => void,
): Promise<QmpClient> {
  let lastError: unknown;
  const died = (): Promise<never> => exitedEarly(child, logPath, host);
  return pollUntil(
    `QMP socket ${socket} to accept`,
    wallTime(15_000),
    async () => {
      if (!child.alive) return died();
      try {
        return await QmpClient.connect(socket, {
          timeoutMs: wallTime(5000),
          clock,
          transcript: (entry) => record(`${entry.t.toFixed(3)}\t${entry.dir}\t${entry.line}`),
        });
      } catch (err) {
        lastError = err;
        await sleep(wallTime(20));
        return undefined;
      }
      // A program's start takes wall time: polled at the wall's pace on any clock.
    },
    wallTime(50),
  ).catch((err) => {
    // QEMU's own words (it died starting) say it all; a socket that never answered says less.
    if (err instanceof UsageError || !(lastError instanceof Error)) throw err;
    throw new Error(`${err.message}; last error: ${lastError.message}`);
  });
}

async function flushLines(path: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const batch = lines.splice(0, lines.length);
  await appendFile(path, `${batch.join('\n')}\n`).catch(() => {});
}
