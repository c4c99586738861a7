// The emulated QEMU reads the command line cutover's qemu driver writes (drivers/qemu/cmdline.ts)
// and keeps what it emulates; options it has no use for (-machine, -accel, -display...) are
// taken and ignored, as a real QEMU would take them.

export interface EmulatedLaunch {
  readonly name: string;
  readonly uuid?: string;
  readonly memoryMiB: number;
  readonly qmpSocket: string;
  readonly serialSocket?: string;
  /** -incoming (defer, or channels): the guest waits for its state (run state inmigrate). */
  readonly incoming: boolean;
  /**
   * -incoming given as JSON channel objects (QEMU >= 9.1; a cpr-transfer destination gives
   * two): the main channel's URI, listened on at start, and the cpr channel's UNIX socket,
   * where the source's RAM file descriptors arrive before QEMU opens its monitor.
   */
  readonly incomingChannels?: { readonly main?: string; readonly cpr?: string };
  /** -machine aux-ram-share=on: QEMU's own RAM (ROMs, video RAM) is shared too, as cpr-transfer needs. */
  readonly auxRamShare: boolean;
  /** memory-backend-file share=on: another QEMU of this host can map the same RAM. */
  readonly sharedMemoryPath?: string;
  /** -device ide-hd for data0: the disk-reading guest, not the page walker. */
  readonly dataDisk: boolean;
  /** The -blockdev nodes, as key=value maps (dotted keys kept: server.host). */
  readonly blockdevs: ReadonlyArray<Readonly<Record<string, string>>>;
  /** The data disk's device: the node it reads and its error policies (QEMU's defaults: werror enospc, rerror report). */
  readonly disk?: { readonly drive: string; readonly werror: string; readonly rerror: string };
  readonly spice?: { readonly host: string; readonly port: number };
  /** -S: the CPUs stay stopped until `cont`; an incoming guest ends in 'paused', not 'running'. */
  readonly startPaused?: boolean;
}

/** Options that take a value; everything else (-nodefaults, -no-user-config) stands alone. */
const WITH_VALUE = new Set([
  '-name',
  '-uuid',
  '-machine',
  '-accel',
  '-m',
  '-object',
  '-display',
  '-drive',
  '-chardev',
  '-serial',
  '-qmp',
  '-blockdev',
  '-device',
  '-spice',
  '-vga',
  '-incoming',
  '-L',
]);

/** A channel of -incoming's or `migrate`'s list, as QEMU's MigrationChannel: its type and its address as a URI. */
export interface Channel {
  readonly type: 'main' | 'cpr';
  readonly uri: string;
}

/** Reads one MigrationChannel object (socket unix or inet addresses, as cutover gives them). */
export function parseChannel(value: unknown): Channel {
  const channel = value as {
    'channel-type'?: unknown;
    addr?: { transport?: unknown; type?: unknown; path?: unknown; host?: unknown; port?: unknown };
  } | null;
  const type = channel?.['channel-type'];
  if (type !== 'main' && type !== 'cpr')
    throw new Error(`Parameter 'channel-type' does not accept value '${String(type)}'`);
  const addr = channel?.addr;
  if (addr?.transport !== 'socket')
    throw new Error(`migration channel transport '${String(addr?.transport)}' is not emulated`);
  if (addr.type === 'unix' && typeof addr.path === 'string') return { type, uri: `unix:${addr.path}` };
  if (addr.type === 'inet' && typeof addr.host === 'string' && addr.port !== undefined)
    return { type, uri: `tcp:${addr.host}:${String(addr.port)}` };
  throw new Error(`migration channel address of type '${String(addr.type)}' is not emulated`);
}

export function parseLaunch(argv: ReadonlyArray<string>): EmulatedLaunch {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i] ?? '';
    if (!WITH_VALUE.has(option)) continue;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`option '${option}' needs an argument`);
    values.set(option, [...(values.get(option) ?? []), value]);
    i++;
  }
  const one = (option: string): string | undefined => values.get(option)?.at(-1);
  const qmp = /^unix:([^,]+)/.exec(one('-qmp') ?? '')?.[1];
  if (!qmp) throw new Error('-qmp unix:<path>,server=on is required');
  const serial = (values.get('-chardev') ?? []).map((c) => /^socket,id=serial0,path=(.+)$/.exec(c)?.[1]).find(Boolean);
  const backend = (values.get('-object') ?? []).find((o) => o.startsWith('memory-backend-file'));
  const memPath = backend && /share=on/.test(backend) ? /mem-path=([^,]+)/.exec(backend)?.[1] : undefined;
  const spice = one('-spice');
  const spicePort = /port=(\d+)/.exec(spice ?? '')?.[1];
  const name = /^(?:guest=)?([^,]+)/.exec(one('-name') ?? 'guest')?.[1] ?? 'guest';
  const uuid = one('-uuid');
  const incoming = values.get('-incoming') ?? [];
  // -incoming defer, a URI, or (QEMU >= 9.1) one JSON channel object per -incoming.
  const channels = incoming.filter((v) => v.trimStart().startsWith('{')).map((v) => parseChannel(JSON.parse(v)));
  const main = channels.find((c) => c.type === 'main')?.uri;
  const cpr = channels.find((c) => c.type === 'cpr')?.uri;
  if (cpr !== undefined && !cpr.startsWith('unix:'))
    throw new Error('the cpr channel must be a UNIX socket (it passes file descriptors)');
  const machine = one('-machine') ?? '';
  const device = (values.get('-device') ?? []).map(keyValues).find((d) => d.drive === 'data0');
  return {
    name,
    ...(uuid !== undefined && { uuid }),
    memoryMiB: Number.parseInt(one('-m') ?? '128', 10),
    qmpSocket: qmp,
    ...(serial && { serialSocket: serial }),
    incoming: incoming.length > 0,
    ...(channels.length > 0 && {
      incomingChannels: {
        ...(main !== undefined && { main }),
        ...(cpr !== undefined && { cpr: cpr.slice('unix:'.length) }),
      },
    }),
    auxRamShare: /(?:^|,)aux-ram-share=on(?:,|$)/.test(machine),
    ...(memPath && { sharedMemoryPath: memPath }),
    dataDisk: device !== undefined,
    ...(argv.includes('-S') && { startPaused: true }),
    blockdevs: (values.get('-blockdev') ?? []).map(keyValues),
    ...(device && {
      disk: { drive: device.drive ?? 'data0', werror: device.werror ?? 'enospc', rerror: device.rerror ?? 'report' },
    }),
    ...(spicePort !== undefined && {
      spice: { host: /addr=([^,]+)/.exec(spice ?? '')?.[1] ?? '0.0.0.0', port: Number(spicePort) },
    }),
  };
}

/** `driver=nbd,server.host=...` (or `ide-hd,drive=...`: a leading bare word is the driver) as a map. */
export function keyValues(option: string): Record<string, string> {
  const map: Record<string, string> = {};
  option.split(',').forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0) map.driver = part;
      return;
    }
    map[part.slice(0, eq)] = part.slice(eq + 1);
  });
  return map;
}
