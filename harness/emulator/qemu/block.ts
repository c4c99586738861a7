import { openImage, type Image } from './image.ts';
import { IoError, NbdClient, NbdServer, type Exported } from './nbd.ts';

// The emulated QEMU's block layer: the nodes of its -blockdev chains and of blockdev-add (a
// file, raw or qcow2 over it, an nbd client, a copy-on-read filter), and its NBD server's
// exports. The guest's disk reads its device's node; block jobs (jobs.ts) read and write
// nodes too.

export interface BlockNode extends Exported {
  readonly name: string;
}

export interface BlockOptions {
  /** Bug 'zeros-for-missing-sectors': a backing read that fails hands back zeros instead. */
  readonly zerosForMissing?: boolean;
}

/** A raw image, or an overlay with no backing (left) of its own. */
class ImageNode implements BlockNode {
  constructor(
    readonly name: string,
    readonly image: Image,
  ) {}
  get sectors(): number {
    return this.image.sectors;
  }
  async read(sector: number, count: number): Promise<Buffer> {
    return this.image.read(sector, count);
  }
  async write(sector: number, data: Buffer): Promise<void> {
    this.image.write(sector, data);
  }
}

/** A qcow2 overlay: the sectors it holds itself, the rest read through its backing node. */
export class OverlayNode implements BlockNode {
  constructor(
    readonly name: string,
    readonly image: Image,
    public backing: BlockNode | undefined,
    private readonly options: BlockOptions,
  ) {}

  get sectors(): number {
    return this.image.sectors;
  }

  /** `copyOnRead`: what is read through the backing is written into the overlay too. */
  async read(sector: number, count: number, copyOnRead = false): Promise<Buffer> {
    const out = Buffer.alloc(count * 512);
    for (const run of this.runs(sector, count)) {
      let data: Buffer;
      if (run.allocated || !this.backing) data = this.image.read(run.sector, run.count);
      else {
        data = await this.readBacking(run.sector, run.count);
        if (copyOnRead) this.image.write(run.sector, data);
      }
      data.copy(out, (run.sector - sector) * 512);
    }
    return out;
  }

  async write(sector: number, data: Buffer): Promise<void> {
    this.image.write(sector, data);
  }

  /** One step of block-stream: what the overlay lacks of these sectors, copied in; bytes copied. */
  async pull(sector: number, count: number): Promise<number> {
    if (!this.backing) return 0;
    let copied = 0;
    for (const run of this.runs(sector, count)) {
      if (run.allocated) continue;
      this.image.write(run.sector, await this.readBacking(run.sector, run.count));
      copied += run.count * 512;
    }
    return copied;
  }

  private async readBacking(sector: number, count: number): Promise<Buffer> {
    try {
      return await (this.backing as BlockNode).read(sector, count);
    } catch (err) {
      if (err instanceof IoError && this.options.zerosForMissing) return Buffer.alloc(count * 512);
      throw err;
    }
  }

  private runs(sector: number, count: number): Array<{ sector: number; count: number; allocated: boolean }> {
    const runs: Array<{ sector: number; count: number; allocated: boolean }> = [];
    for (let s = sector; s < sector + count; s++) {
      const allocated = this.image.allocated(s);
      const last = runs.at(-1);
      if (last && last.allocated === allocated) last.count++;
      else runs.push({ sector: s, count: 1, allocated });
    }
    return runs;
  }
}

/** The copy-on-read filter over an overlay: reads through it are kept in the overlay. */
class CopyOnReadNode implements BlockNode {
  constructor(
    readonly name: string,
    private readonly overlay: OverlayNode,
  ) {}
  get sectors(): number {
    return this.overlay.sectors;
  }
  read(sector: number, count: number): Promise<Buffer> {
    return this.overlay.read(sector, count, true);
  }
  write(sector: number, data: Buffer): Promise<void> {
    return this.overlay.write(sector, data);
  }
}

class NbdNode implements BlockNode {
  constructor(
    readonly name: string,
    readonly client: NbdClient,
  ) {}
  get sectors(): number {
    return this.client.sectors;
  }
  read(sector: number, count: number): Promise<Buffer> {
    return this.client.read(sector, count);
  }
  write(sector: number, data: Buffer): Promise<void> {
    return this.client.write(sector, data);
  }
}

/** blockdev-add's arguments flattened as -blockdev's keys: server.host, server.port... */
export function flatten(args: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value !== null && typeof value === 'object')
      Object.assign(out, flatten(value as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = String(value);
  }
  return out;
}

export class BlockLayer {
  private readonly nodes = new Map<string, BlockNode>();
  /** Protocol nodes (driver=file): a file name the format node above opens. */
  private readonly files = new Map<string, string>();
  private nbd?: NbdServer;
  private readonly exportIds = new Set<string>();

  constructor(private readonly options: BlockOptions = {}) {}

  /** Opens a node (-blockdev at start, blockdev-add later), as QEMU does: nbd connects now. */
  async add(spec: Readonly<Record<string, string>>): Promise<void> {
    const name = spec['node-name'];
    if (!name) throw new Error("Parameter 'node-name' is missing");
    if (this.nodes.has(name) || this.files.has(name)) throw new Error(`Duplicate nodes with node-name='${name}'`);
    const fileOf = (key: string): string => {
      const file = this.files.get(spec[key] ?? '');
      if (file === undefined) throw new Error(`Cannot find device='' nor node-name='${spec[key] ?? ''}'`);
      return file;
    };
    switch (spec.driver) {
      case 'file':
        if (!spec.filename) throw new Error("Parameter 'filename' is missing");
        this.files.set(name, spec.filename);
        return;
      case 'raw':
        this.nodes.set(name, new ImageNode(name, openImage(fileOf('file'), 'raw', spec['read-only'] !== 'on')));
        return;
      case 'qcow2': {
        const backing = spec.backing !== undefined ? this.node(spec.backing) : undefined;
        this.nodes.set(name, new OverlayNode(name, openImage(fileOf('file'), 'qcow2'), backing, this.options));
        return;
      }
      case 'copy-on-read': {
        const below = this.node(spec.file ?? '');
        if (!(below instanceof OverlayNode))
          throw new Error('the emulated copy-on-read filter sits on a qcow2 overlay only');
        this.nodes.set(name, new CopyOnReadNode(name, below));
        return;
      }
      case 'nbd': {
        const host = spec['server.host'];
        const port = Number(spec['server.port']);
        if (!host || !port) throw new Error('NBD server address missing');
        this.nodes.set(name, new NbdNode(name, await NbdClient.connect(host, port, spec.export ?? '')));
        return;
      }
      default:
        throw new Error(`Unknown driver '${spec.driver ?? ''}'`);
    }
  }

  node(name: string): BlockNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`Cannot find device='${name}' nor node-name='${name}'`);
    return node;
  }

  /** nbd-server-start. */
  async startNbd(host: string, port: number): Promise<void> {
    if (this.nbd) throw new Error('NBD server already running');
    this.nbd = await NbdServer.start(host, port);
  }

  /** block-export-add type=nbd (and nbd-server-add). */
  exportNbd(id: string, nodeName: string, name: string, writable: boolean): void {
    if (!this.nbd) throw new Error('NBD server not running');
    if (this.exportIds.has(id)) throw new Error(`Block export id '${id}' is already in use`);
    this.nbd.add(name, this.node(nodeName), writable);
    this.exportIds.add(id);
  }

  /** Its NBD server and connections closed, as a QEMU that ends leaves them. */
  close(): void {
    this.nbd?.close();
    this.nbd = undefined;
    for (const node of this.nodes.values()) if (node instanceof NbdNode) node.client.close();
  }

  /** A finished stream: the overlay holds it all, its backing is dropped (and its NBD connection closed). */
  dropBacking(overlay: OverlayNode): void {
    const backing = overlay.backing;
    overlay.backing = undefined;
    if (
      backing instanceof NbdNode &&
      ![...this.nodes.values()].some((n) => n instanceof OverlayNode && n.backing === backing)
    ) {
      backing.client.close();
      this.nodes.delete(backing.name);
    }
  }
}
