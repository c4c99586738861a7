import type { EmulatedSwitch } from '../../hosts/emulated/bugs.ts';
import type { EmulatedLaunch } from './cmdline.ts';
import { SpiceServer } from '../spice/server.ts';
import { EmulatedGuest } from './guest.ts';
import { SharedRam } from './shared-ram.ts';
import { BlockLayer } from './block.ts';
import type { BlockJob } from './jobs.ts';

// One emulated QEMU process: its run state (and the STOP/RESUME events it gives), its
// migration capabilities and parameters, and its guest. The monitor and the migration
// code act on it; nothing here knows about sockets.

export interface MigrationParameters {
  maxBandwidth: number;
  downtimeLimitMs: number;
  /** 0: post-copy at max-bandwidth, as QEMU's default. */
  maxPostcopyBandwidth: number;
  /** MigMode: 'normal', or 'cpr-transfer' (QEMU >= 10.0). */
  mode: string;
}

export type Emit = (event: string, data?: Record<string, unknown>) => void;

export class Machine {
  readonly guest: EmulatedGuest;
  runState: string;
  readonly capabilities = new Map<string, boolean>();
  readonly parameters: MigrationParameters = {
    maxBandwidth: 128 * 1024 ** 2,
    downtimeLimitMs: 300,
    maxPostcopyBandwidth: 0,
    mode: 'normal',
  };
  /** The name and UUID the guest answers with. */
  readonly identity: { readonly name: string; readonly uuid: string };
  /** Its SPICE server, when started with -spice. */
  readonly spice?: SpiceServer;
  /** Its block nodes and NBD exports; its block jobs by ID. */
  readonly blocks: BlockLayer;
  readonly jobs = new Map<string, BlockJob>();
  /** Its memory-backend-file share=on RAM, which another QEMU of this host may run the guest on. */
  private readonly sharedRam?: SharedRam;
  /** Whether an incoming guest runs once its state arrived: not with -S, nor after a `stop` while it waited. */
  autostart: boolean;

  constructor(
    readonly launch: EmulatedLaunch,
    readonly version: string,
    readonly bugs: ReadonlySet<EmulatedSwitch>,
    readonly emit: Emit,
  ) {
    this.guest = new EmulatedGuest(launch.dataDisk ? 'diskwalk' : 'pagewalk');
    this.guest.silent = bugs.has('silent-guest') || (launch.incoming && bugs.has('silent-incoming-guest'));
    this.runState = launch.incoming ? 'inmigrate' : 'prelaunch';
    this.autostart = !launch.startPaused;
    this.blocks = new BlockLayer({ zerosForMissing: bugs.has('zeros-for-missing-sectors') });
    this.identity = { name: launch.name, uuid: launch.uuid ?? '00000000-0000-0000-0000-000000000000' };
    if (launch.sharedMemoryPath !== undefined) this.sharedRam = new SharedRam(launch.sharedMemoryPath);
    if (launch.spice) {
      this.spice = new SpiceServer(
        launch.spice,
        {
          restartsSessions: bugs.has('spice-session-restarts'),
          waitsForClient: bugs.has('spice-waits-for-client'),
          delaysWithoutClient: bugs.has('spice-delays-without-client'),
          dropsClientOnCancel: bugs.has('drops-spice-client-on-cancel'),
        },
        emit,
      );
    }
  }

  /** Opens the -blockdev chains (an nbd node connects now, as QEMU's does) and gives the guest its disk. */
  async openDisks(): Promise<void> {
    for (const spec of this.launch.blockdevs) await this.blocks.add(spec);
    const disk = this.launch.disk;
    if (!disk) return;
    const node = this.blocks.node(disk.drive);
    this.guest.disk = {
      read: (sector, count) => node.read(sector, count),
      failed: (err) => this.ioError(err, 'read'),
    };
  }

  /** A failed request of the data disk's device, under its error policy (rerror, werror) unless `action` says. */
  ioError(err: Error, operation: 'read' | 'write', forced?: 'stop'): 'stop' | 'report' {
    const disk = this.launch.disk;
    const action = forced ?? ((operation === 'read' ? disk?.rerror : disk?.werror) === 'stop' ? 'stop' : 'report');
    this.emit('BLOCK_IO_ERROR', {
      device: '',
      nospace: false,
      'node-name': disk?.drive ?? '',
      reason: err.message,
      operation,
      action,
    });
    if (action === 'stop') this.setRunState('io-error');
    return action;
  }

  has(bug: EmulatedSwitch): boolean {
    return this.bugs.has(bug);
  }

  capability(name: string): boolean {
    return this.capabilities.get(name) === true;
  }

  /** Bytes of RAM a migration sends: none of a shared backend when x-ignore-shared is on. */
  ramTotal(): number {
    const shared =
      this.launch.sharedMemoryPath !== undefined &&
      this.capability('x-ignore-shared') &&
      !this.has('copies-shared-ram');
    return shared ? SHARED_RAM_REMAINDER : this.launch.memoryMiB * 1024 ** 2 + SHARED_RAM_REMAINDER;
  }

  /** Starts or stops the vCPUs, with QEMU's events. */
  setRunState(state: string): void {
    const wasRunning = this.runState === 'running';
    this.runState = state;
    if (state === 'running' && !wasRunning) {
      this.sharedRam?.running(this.guest);
      this.guest.run();
      this.emit('RESUME');
    } else if (state !== 'running' && wasRunning) {
      this.guest.stop();
      this.sharedRam?.stopped(this.guest);
      this.emit('STOP');
    }
  }

  /** A destination whose incoming migration failed ends, as QEMU does, after saying why. */
  fatal(message: string): void {
    process.stderr.write(`qemu-system-x86_64: ${message}\n`);
    setTimeout(() => process.exit(1), 400);
  }
}

/** What QEMU still sends when shared RAM is ignored: ROMs, video RAM and the like (7.2: 520 KiB). */
const SHARED_RAM_REMAINDER = 532_480;
