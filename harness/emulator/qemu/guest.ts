import { connect, type Socket } from 'node:net';
import { monotonicClock } from '../../util/clock.ts';
import { DISK_LAYOUT, GUEST_LAYOUT, stampOffsets, walkedRegions } from '../../guest/layout.ts';

// The emulated guest: the page walker of guest/pagewalk.asm (or the disk reader of
// diskwalk.asm) as a counter and a position instead of instructions. Its serial characters
// go to the harness's socket as the real guest's do, and its memory is built on demand from
// its counters, so a memory read holds the pattern the real guest leaves.

/** How long one pass over the walked pages takes while the guest runs. */
export const PASS_MS = 20;
/** The walker's tick, on the wall clock: each tick moves it by what the run's clock says elapsed. */
const TICK_MS = 5;
/** How long one pass over the data disk takes (the real guest's ATA PIO reads take ~5 s). */
export const DISK_PASS_MS = 2500;
/** Sectors the disk walker asks for at once. */
const DISK_CHUNK = 128;

/** The data disk as the disk walker reads it: its device's node, and its error policy. */
export interface GuestDisk {
  read(sector: number, count: number): Promise<Buffer>;
  /**
   * A read failed. 'stop': the machine stopped on it (rerror=stop) and the read is done again
   * when it runs on; 'report': the guest is told (the ATA error bit).
   */
  failed(err: Error): 'stop' | 'report';
}

/** What the guest's CPU state is: enough to go on where it stopped, on another QEMU. */
export interface GuestState {
  passes: number;
  boots: number;
  /** How far the current pass went, 0..1 of the walked pages. */
  position: number;
}

/**
 * Pages a bug left wrong (an older copy, zeros), by walk index. The guest adds one to every
 * stamp each pass, so such pages stay off by the same amount for good.
 */
export interface MemoryDamage {
  readonly fromPage: number;
  readonly toPage: number;
  /** What is added to their stamps. */
  readonly delta: number;
}

const WALKED_PAGES = walkedRegions().map((r) => (r.end - r.start) / GUEST_LAYOUT.pageSize);
const TOTAL_PAGES = WALKED_PAGES.reduce((a, b) => a + b, 0);
/** Bytes one pass dirties: every walked page. */
export const WALKED_BYTES = TOTAL_PAGES * GUEST_LAYOUT.pageSize;

export class EmulatedGuest {
  state: GuestState = { passes: 0, boots: 0, position: 0 };
  damage: MemoryDamage[] = [];
  running = false;
  /** Blocked on pages it does not have (post-copy with its source gone): runs, makes no progress. */
  blocked = false;
  /** Says nothing on its serial line (a premise switch): it runs, unseen. */
  silent = false;
  private serial?: Socket;
  private timer?: NodeJS.Timeout;
  private last = 0;
  /** The disk walker: its data disk, the sectors it may read by now, the read in flight. */
  disk?: GuestDisk;
  private credit = 0;
  private reading = false;
  /** Changes when the vCPUs stop: a read that completes after that is done again later. */
  private generation = 0;

  constructor(private readonly workload: 'pagewalk' | 'diskwalk') {}

  /** COM1 connects to the harness's listening socket, as QEMU's chardev does at start. */
  async connectSerial(path: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(path, () => resolve());
      socket.once('error', reject);
      this.serial = socket;
    });
    this.serial?.on('error', () => undefined);
  }

  /** A fresh boot: counters from zero, the boot character. */
  boot(): void {
    this.state = { passes: 0, boots: this.state.boots + 1, position: 0 };
    this.damage = [];
    this.say(GUEST_LAYOUT.bootChar);
    this.run();
  }

  run(): void {
    if (this.running) return;
    this.running = true;
    this.last = monotonicClock();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (!this.running) return;
    this.tick();
    this.running = false;
    this.generation++;
    this.credit = 0;
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = monotonicClock();
    const elapsed = now - this.last;
    this.last = now;
    if (this.blocked) return;
    if (this.workload === 'diskwalk' && this.disk) {
      this.credit = Math.min(this.credit + (elapsed / DISK_PASS_MS) * DISK_LAYOUT.sectors, DISK_CHUNK * 4);
      this.readDisk();
      return;
    }
    let position = this.state.position + elapsed / PASS_MS;
    while (position >= 1) {
      position -= 1;
      this.state.passes++;
      this.say(GUEST_LAYOUT.passChar);
    }
    this.state.position = position;
  }

  /** The next sectors of the walk, when their time came and no read is in flight. */
  private readDisk(): void {
    const disk = this.disk;
    const { sectors, sectorSize, pattern } = DISK_LAYOUT;
    const sector = Math.min(Math.floor(this.state.position * sectors), sectors - 1);
    const count = Math.min(Math.floor(this.credit), DISK_CHUNK, sectors - sector);
    if (!disk || this.reading || !this.running || count < 1) return;
    this.reading = true;
    const generation = this.generation;
    const advance = (told: string): void => {
      this.credit -= count;
      this.state.position = (sector + count) / sectors;
      if (sector + count >= sectors) {
        this.state.position = 0;
        this.state.passes++;
        told += GUEST_LAYOUT.passChar;
      }
      this.say(told);
    };
    disk.read(sector, count).then(
      (data) => {
        this.reading = false;
        if (generation !== this.generation) return;
        let told = '';
        for (let i = 0; i < count; i++) {
          const value = data.readUInt32LE(i * sectorSize);
          if (value === ((sector + i) ^ pattern) >>> 0) continue;
          told += value === 0 ? DISK_LAYOUT.zeroChar : DISK_LAYOUT.badChar;
        }
        advance(told);
      },
      (err: Error) => {
        this.reading = false;
        if (generation !== this.generation) return;
        if (disk.failed(err) === 'stop') return;
        advance(DISK_LAYOUT.errorChar.repeat(count));
      },
    );
  }

  private say(ch: string): void {
    if (!ch || this.silent) return;
    if (this.serial?.writable) this.serial.write(ch);
  }

  /** Guest memory from `address`, `length` bytes: the walk's stamps and the counters. */
  readMemory(address: number, length: number): Buffer {
    return this.readMemoryInto(Buffer.alloc(length), address);
  }

  /** readMemory into a zeroed buffer of the caller's (pmemsave reuses one chunk for a whole dump). */
  readMemoryInto(bytes: Buffer, address: number): Buffer {
    const length = bytes.length;
    const counters = Buffer.alloc(8);
    counters.writeUInt32LE(this.state.passes >>> 0, 0);
    counters.writeUInt32LE(this.state.boots >>> 0, 4);
    copyOverlap(bytes, address, counters, GUEST_LAYOUT.countersAddress);
    if (this.workload !== 'pagewalk') return bytes;
    if (this.state.passes === 0 && this.state.position === 0) return bytes;
    const reached = Math.floor(this.state.position * TOTAL_PAGES);
    const offsets = stampOffsets();
    let index = 0;
    for (const region of walkedRegions()) {
      const first = Math.max(region.start, address);
      const end = Math.min(region.end, address + length);
      for (
        let page = Math.floor((first - region.start) / GUEST_LAYOUT.pageSize);
        region.start + page * GUEST_LAYOUT.pageSize < end;
        page++
      ) {
        const walkIndex = index + page;
        const value = (this.state.passes + (walkIndex < reached ? 1 : 0) + this.delta(walkIndex)) & 0xff;
        const base = region.start + page * GUEST_LAYOUT.pageSize - address;
        for (const offset of offsets) if (base + offset >= 0 && base + offset < length) bytes[base + offset] = value;
      }
      index += (region.end - region.start) / GUEST_LAYOUT.pageSize;
    }
    return bytes;
  }

  private delta(walkIndex: number): number {
    return this.damage
      .filter((d) => walkIndex >= d.fromPage && walkIndex < d.toPage)
      .reduce((sum, d) => sum + d.delta, 0);
  }
}

function copyOverlap(into: Buffer, intoStart: number, from: Buffer, fromStart: number): void {
  for (let i = 0; i < from.length; i++) {
    const at = fromStart + i - intoStart;
    if (at >= 0 && at < into.length) into[at] = from[i] ?? 0;
  }
}

export const WALKED_PAGE_COUNT = TOTAL_PAGES;
