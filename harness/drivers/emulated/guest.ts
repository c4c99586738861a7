import type { ProcessExit } from '../../hosts/types.ts';
import type {
  EvidenceFile,
  GuestHandle,
  MemoryVisitor,
  RunState,
  Side,
  SpiceStatus,
  StartGuestRequest,
} from '../types.ts';
import type { QemuGuest } from '../qemu/guest.ts';
import { Unavailable } from '../../util/errors.ts';

// A guest as the emulated driver hands it to the harness: a domain of one host's daemon. Its
// QEMU comes later for a destination (the daemon starts it in Prepare), and may go (killed,
// cleaned up after a failure); while there is none, the guest reads as gone.

export class DomainGuest implements GuestHandle {
  readonly side: Side;
  readonly host;
  readonly name: string;
  readonly uuid: string | undefined;
  readonly exited: Promise<ProcessExit>;
  private qemuNow?: QemuGuest;
  private ended: (exit: ProcessExit) => void = () => undefined;

  constructor(readonly request: StartGuestRequest) {
    this.side = request.side;
    this.host = request.host;
    this.name = request.spec.name;
    this.uuid = request.spec.uuid;
    this.exited = new Promise((resolve) => (this.ended = resolve));
  }

  get qemu(): QemuGuest | undefined {
    return this.qemuNow;
  }

  /** The QEMU that runs this guest now; its end is the guest's end. */
  attach(qemu: QemuGuest): void {
    this.qemuNow = qemu;
    void qemu.exited.then((exit) => this.ended(exit));
  }

  get accelerator(): string | undefined {
    return this.qemuNow?.accelerator;
  }

  get spiceAddress(): { host: string; port: number } | undefined {
    return this.qemuNow?.spiceAddress;
  }

  spice = async (): Promise<SpiceStatus> => this.need().spice();

  get emulatorVersion(): string | undefined {
    return this.qemuNow?.emulatorVersion;
  }

  async runState(): Promise<RunState> {
    // No QEMU: a destination never prepared, or one cleaned up.
    return this.qemuNow ? this.qemuNow.runState() : 'gone';
  }

  pause = async (): Promise<void> => this.need().pause();
  resume = async (): Promise<void> => this.need().resume();
  scanMemory = async (address: number, length: number, visit: MemoryVisitor): Promise<void> =>
    this.need().scanMemory(address, length, visit);
  signal = async (signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> => this.need().signal(signal);

  evidence(): EvidenceFile[] {
    return this.qemuNow?.evidence() ?? [];
  }

  async destroy(): Promise<void> {
    await this.qemuNow?.destroy();
  }

  private need(): QemuGuest {
    if (!this.qemuNow) throw new Unavailable(`the ${this.side} guest ${this.name} has no QEMU on ${this.host.name}`);
    return this.qemuNow;
  }
}
