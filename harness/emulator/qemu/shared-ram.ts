import { constants, openSync, readSync, writeSync } from 'node:fs';
import { every } from '../../util/clock.ts';
import { WALKED_PAGE_COUNT, type EmulatedGuest, type GuestState, type MemoryDamage } from './guest.ts';

// A memory-backend-file share=on RAM, as two QEMUs of one host map it. The emulated guest's
// memory is made from its counters, not kept, so what the guest wrote is its state: a QEMU
// on shared RAM writes it into the file as the guest runs (often, and when it stops: it may
// be SIGKILLed), and one that runs its guest again reads back whether another QEMU ran the
// guest on that RAM meanwhile. Two QEMUs running at once on one file are not modelled.

/** What the RAM holds: the walk's stamps and counters as the last QEMU that ran the guest left them. */
export interface RamContent {
  readonly state: GuestState;
  readonly damage: ReadonlyArray<MemoryDamage>;
}

/**
 * How often a running guest's state is written: a few passes' worth, a syscall each. On the
 * run's clock, as the passes are: at --time-scale 10 a wall-clock 50 ms held 25 passes, and a
 * new QEMU killed 10 passes after it took over had left only the state it started from.
 */
const RECORD_MS = 50;
/** Room read for the record, a line at the file's start (what follows its newline is left over). */
const RECORD_BYTES = 4096;

/**
 * The guest as a CPU state resumed on RAM another QEMU ran it on. The counters live in RAM:
 * they are the RAM's. The walker's position is a register: the CPU's. The stamps are the
 * RAM's, so against the CPU's position the pages between its position and the one the RAM
 * was left at are off by one: the walk goes on over them, broken there for good.
 */
export function resumedOn(cpu: GuestState, ram: RamContent): RamContent {
  const mine = Math.floor(cpu.position * WALKED_PAGE_COUNT);
  const theirs = Math.floor(ram.state.position * WALKED_PAGE_COUNT);
  const moved: MemoryDamage[] =
    theirs > mine
      ? [{ fromPage: mine, toPage: theirs, delta: 1 }]
      : theirs < mine
        ? [{ fromPage: theirs, toPage: mine, delta: -1 }]
        : [];
  return {
    state: { passes: ram.state.passes, boots: ram.state.boots, position: cpu.position },
    damage: [...ram.damage, ...moved],
  };
}

export class SharedRam {
  private readonly fd: number;
  /** The record this QEMU wrote last: a different one in the file is another QEMU's. */
  private written?: string;
  private timer?: NodeJS.Timeout;

  constructor(path: string) {
    // Created if missing, as QEMU creates its mem-path file; never truncated: another QEMU may hold it.
    this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  }

  /** The guest runs (again): first the RAM as another QEMU may have left it, then its state written as it goes. */
  running(guest: EmulatedGuest): void {
    const found = this.read();
    // A QEMU that never ran its guest here got its state from a boot or from the stream.
    if (this.written !== undefined && found !== undefined && found !== this.written) {
      const ram = parse(found);
      if (ram) {
        const now = resumedOn(guest.state, ram);
        guest.state = { ...now.state };
        guest.damage = [...now.damage];
      }
    }
    this.record(guest);
    clearInterval(this.timer);
    this.timer = every(RECORD_MS, () => this.record(guest));
    this.timer.unref();
  }

  /** The guest stopped: its last state is what the RAM holds. */
  stopped(guest: EmulatedGuest): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.record(guest);
  }

  private record(guest: EmulatedGuest): void {
    const text = JSON.stringify({ pid: process.pid, state: guest.state, damage: guest.damage } satisfies RamContent & {
      pid: number;
    });
    writeSync(this.fd, `${text}\n`, 0);
    this.written = text;
  }

  private read(): string | undefined {
    const bytes = Buffer.alloc(RECORD_BYTES);
    const length = readSync(this.fd, bytes, 0, RECORD_BYTES, 0);
    const end = bytes.subarray(0, length).indexOf('\n');
    return end > 0 ? bytes.toString('utf8', 0, end) : undefined;
  }
}

function parse(text: string): RamContent | undefined {
  try {
    const content = JSON.parse(text) as RamContent;
    return typeof content.state?.passes === 'number' && Array.isArray(content.damage) ? content : undefined;
  } catch {
    return undefined;
  }
}
