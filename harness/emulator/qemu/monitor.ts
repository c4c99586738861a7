import { open } from 'node:fs/promises';
import { FakeQmpPeer, type FakeHandler, type FakeReply } from '../../qmp/fake-peer.ts';
import { compareVersions } from '../../util/versions.ts';
import { parseChannel, type Channel } from './cmdline.ts';
import type { CprState } from './cpr.ts';
import { flatten, OverlayNode } from './block.ts';
import { Incoming } from './incoming.ts';
import { MirrorJob, StreamJob, type BlockJob, type JobHooks } from './jobs.ts';
import type { Machine } from './machine.ts';
import { Outgoing } from './outgoing.ts';

// The emulated QEMU's monitor: the QMP commands cutover's qemu driver sends, answered from
// the machine's state with the replies and errors QEMU gives. One QMP session at a time, as
// QEMU serves (the fake peer's protocol layer).

export class Monitor {
  private outgoing?: Outgoing;
  private incoming?: Incoming;
  private peer?: FakeQmpPeer;

  constructor(private readonly vm: Machine) {}

  async listen(): Promise<FakeQmpPeer> {
    const [major, minor, micro] = this.vm.version.split('.').map(Number);
    this.peer = await FakeQmpPeer.listen(this.vm.launch.qmpSocket, {
      greeting: {
        QMP: {
          version: { qemu: { major: major ?? 0, minor: minor ?? 0, micro: micro ?? 0 }, package: 'cutover emulated' },
          capabilities: ['oob'],
        },
      },
      handlers: this.handlers(),
    });
    return this.peer;
  }

  /** -incoming given a main channel: QEMU listens there from the start (a cpr-transfer destination, once its CPR state came). */
  async startIncoming(uri: string, cpr?: CprState): Promise<void> {
    this.incoming = new Incoming(this.vm, cpr);
    await this.incoming.listen(uri);
  }

  private handlers(): Record<string, FakeHandler> {
    const vm = this.vm;
    return {
      'query-kvm': ok(() => ({ enabled: false, present: false })),
      'query-status': ok(() => ({ status: vm.runState, running: vm.runState === 'running', singlestep: false })),
      'query-name': ok(() => (vm.identity.name ? { name: vm.identity.name } : {})),
      'query-uuid': ok(() => ({ UUID: vm.identity.uuid })),
      'query-version': ok(() => ({ qemu: vm.version, package: 'cutover emulated' })),
      // As QEMU 7.2 does: a guest still waiting for its state only loses (stop) or gains (cont)
      // its autostart, and stays in inmigrate.
      stop: ok(() => {
        if (vm.runState === 'inmigrate') vm.autostart = false;
        else vm.setRunState('paused');
      }),
      cont: ok(() => {
        if (vm.runState === 'inmigrate') vm.autostart = true;
        else vm.setRunState('running');
      }),
      'migrate-set-capabilities': ok((args) => {
        for (const { capability, state } of (args.capabilities ?? []) as Array<{ capability: string; state: boolean }>)
          vm.capabilities.set(capability, state);
      }),
      'migrate-set-parameters': ok((args) => {
        if (typeof args['max-bandwidth'] === 'number') vm.parameters.maxBandwidth = args['max-bandwidth'];
        if (typeof args['downtime-limit'] === 'number') vm.parameters.downtimeLimitMs = args['downtime-limit'];
        if (typeof args['max-postcopy-bandwidth'] === 'number')
          vm.parameters.maxPostcopyBandwidth = args['max-postcopy-bandwidth'];
        if (args.mode !== undefined) vm.parameters.mode = migrationMode(vm.version, args.mode);
      }),
      migrate: ok(async (args) => {
        const channels = migrateChannels(args);
        const uri = channels?.find((c) => c.type === 'main')?.uri ?? String(args.uri ?? '');
        if (args.resume === true) {
          if (!this.outgoing) throw new Error('Cannot resume if there is no paused migration');
          void this.outgoing.resume(uri);
          return;
        }
        if (vm.runState === 'inmigrate') throw new Error('Guest is waiting for an incoming migration');
        if (this.outgoing && !this.outgoing.ended) throw new Error("There's a migration process in progress");
        if (vm.parameters.mode === 'cpr-transfer') {
          const cpr = channels?.find((c) => c.type === 'cpr')?.uri;
          if (!channels || channels.find((c) => c.type === 'main') === undefined)
            throw new Error("missing 'main' migration channel");
          if (cpr === undefined) throw new Error("missing 'cpr' migration channel");
          if (!cpr.startsWith('unix:')) throw new Error('cpr-transfer needs a unix socket for its cpr channel');
          if (vm.capability('postcopy-ram')) throw new Error('cpr-transfer mode does not support postcopy');
          // QEMU's CPR blocker of each RAM block that cannot be handed over by descriptor.
          if (vm.launch.sharedMemoryPath === undefined || !vm.launch.auxRamShare) {
            throw new Error(
              'Memory region pc.ram is not compatible with CPR. share=on is required for memory-backend objects, and aux-ram-share=on is required.',
            );
          }
          const outgoing = new Outgoing(vm);
          this.outgoing = outgoing;
          await outgoing.saveCprState(cpr);
          void outgoing.finishCpr(uri);
          return;
        }
        this.outgoing = new Outgoing(vm);
        void this.outgoing.start(uri);
      }),
      'migrate-incoming': ok(async (args) => {
        if (vm.runState !== 'inmigrate' || this.incoming)
          throw new Error('The incoming migration has already been started');
        this.incoming = new Incoming(vm);
        await this.incoming.listen(String(args.uri ?? ''));
      }),
      'migrate-recover': ok(async (args) => {
        if (!this.incoming) throw new Error('Migrate recover can only be run when postcopy is paused.');
        await this.incoming.recover(String(args.uri ?? ''));
      }),
      'migrate-start-postcopy': ok(() => {
        if (!this.outgoing) throw new Error('Postcopy must be started after migration has been started');
        this.outgoing.requestPostcopy();
      }),
      'migrate-continue': ok((args) => {
        if (!this.outgoing) throw new Error(`Migration not in expected state: ${String(args.state ?? '')}`);
        this.outgoing.continueFrom(String(args.state ?? ''));
      }),
      migrate_cancel: ok(() => this.outgoing?.cancel()),
      ...this.blockHandlers(),
      'query-migrate': ok(() => this.outgoing?.info() ?? this.incoming?.info() ?? {}),
      'query-spice': ok(() => vm.spice?.status() ?? { enabled: false, migrated: false }),
      client_migrate_info: ok((args) => {
        if (args.protocol !== 'spice') throw new Error(`Invalid parameter 'protocol'`);
        if (!vm.spice) throw new Error('SPICE is not in use');
        vm.spice.migrateInfo(String(args.hostname), Number(args.port));
      }),
      pmemsave: ok(async (args) => savePhysicalMemory(vm, String(args.filename), Number(args.val), Number(args.size))),
      quit: (_command, peer) => {
        peer.pushEvent('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
        setTimeout(() => process.exit(0), 10);
        return { return: {} };
      },
    };
  }

  /** The block commands the qemu driver's storage migrations send (drivers/qemu/storage.ts). */
  private blockHandlers(): Record<string, FakeHandler> {
    const vm = this.vm;
    const hooks: JobHooks = {
      emit: vm.emit,
      ended: (job) => vm.jobs.delete(job.id),
      targetFailed: () => {
        // The bug: the mirror's target failing is taken for the guest's own disk failing.
        if (vm.has('mirror-error-stops-guest')) vm.ioError(new Error('Input/output error'), 'write', 'stop');
      },
    };
    const startJob = (job: BlockJob): void => {
      if (vm.jobs.has(job.id)) throw new Error(`Job ID '${job.id}' already in use`);
      vm.jobs.set(job.id, job);
      job.start();
    };
    const findJob = (id: unknown): BlockJob => {
      const job = vm.jobs.get(String(id ?? ''));
      if (!job) throw new Error(`Block job '${String(id ?? '')}' not found`);
      return job;
    };
    return {
      'nbd-server-start': ok(async (args) => {
        // SocketAddressLegacy ({type, data: {host, port}}), as the driver sends it, or flat.
        const addr = (args.addr ?? {}) as {
          type?: string;
          data?: { host?: string; port?: string };
          host?: string;
          port?: string;
        };
        const inet = addr.data ?? addr;
        if (addr.type !== 'inet' || !inet.host || !inet.port)
          throw new Error('the emulated NBD server listens on inet addresses only');
        await vm.blocks.startNbd(inet.host, Number(inet.port));
      }),
      'block-export-add': ok((args) => {
        if (args.type !== 'nbd') throw new Error(`Invalid parameter 'type'`);
        const node = String(args['node-name'] ?? '');
        vm.blocks.exportNbd(String(args.id ?? ''), node, String(args.name ?? node), args.writable === true);
      }),
      'nbd-server-add': ok((args) => {
        const device = String(args.device ?? '');
        vm.blocks.exportNbd(device, device, String(args.name ?? device), args.writable === true);
      }),
      'blockdev-add': ok(async (args) => vm.blocks.add(flatten(args))),
      'block-stream': ok((args) => {
        const device = String(args.device ?? '');
        const overlay = vm.blocks.node(device);
        if (!(overlay instanceof OverlayNode) || !overlay.backing)
          throw new Error(`Node '${device}' has no backing file to stream from`);
        const id = String(args['job-id'] ?? device);
        startJob(new StreamJob(id, overlay, Number(args.speed ?? 0), hooks, () => vm.blocks.dropBacking(overlay)));
      }),
      'blockdev-mirror': ok((args) => {
        if (args.sync !== 'full') throw new Error('the emulated mirror copies sync=full only');
        const device = String(args.device ?? '');
        const id = String(args['job-id'] ?? device);
        startJob(
          new MirrorJob(
            id,
            vm.blocks.node(device),
            vm.blocks.node(String(args.target ?? '')),
            Number(args.speed ?? 0),
            hooks,
          ),
        );
      }),
      'query-block-jobs': ok(() => [...vm.jobs.values()].map((job) => job.info())),
      'block-job-cancel': ok((args) => findJob(args.device).cancel()),
      'job-dismiss': ok((args) => {
        // auto-dismiss is on: a job is gone once concluded, there is nothing to dismiss.
        const job = findJob(args.id);
        throw new Error(`Job '${job.id}' in state '${job.status}' cannot accept command verb 'dismiss'`);
      }),
    };
  }
}

/** migrate-set-parameters' mode, as each version takes it (the parameter came in 8.2, cpr-transfer in 10.0). */
export function migrationMode(version: string, mode: unknown): string {
  if (compareVersions(version, '8.2') < 0) throw new Error("Parameter 'mode' is unexpected");
  const modes =
    compareVersions(version, '10.0') < 0 ? ['normal', 'cpr-reboot'] : ['normal', 'cpr-reboot', 'cpr-transfer'];
  if (typeof mode !== 'string' || !modes.includes(mode))
    throw new Error(`Parameter 'mode' does not accept value '${String(mode)}'`);
  if (mode === 'cpr-reboot') throw new Error('cpr-reboot mode is not emulated');
  return mode;
}

/** migrate's channels (QEMU >= 9.1), exclusive of its uri. */
export function migrateChannels(args: Record<string, unknown>): Channel[] | undefined {
  if (args.channels === undefined) return undefined;
  if (args.uri !== undefined) throw new Error("need either 'uri' or 'channels' argument");
  if (!Array.isArray(args.channels)) throw new Error("Invalid parameter type for 'channels', expected: array");
  return args.channels.map(parseChannel);
}

/** A chunk of a memory dump: writing 100 MiB from one buffer this size costs a tenth of building it whole. */
const DUMP_CHUNK = 1 << 20;

/** pmemsave: the guest's memory written to a file, a chunk at a time. */
async function savePhysicalMemory(vm: Machine, filename: string, address: number, size: number): Promise<void> {
  const file = await open(filename, 'w');
  try {
    const chunk = Buffer.alloc(Math.min(DUMP_CHUNK, size));
    for (let offset = 0; offset < size; offset += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, size - offset));
      part.fill(0);
      await file.write(vm.guest.readMemoryInto(part, address + offset));
    }
  } finally {
    await file.close();
  }
}

/** A handler from a function: its result is the return value, what it throws a GenericError. */
// biome-ignore lint/suspicious/noExplicitAny: handlers read the command's arguments as the test declares them
function ok(run: (args: Record<string, any>) => unknown): FakeHandler {
  return async (command): Promise<FakeReply> => {
    try {
      const result = await run(command.arguments ?? {});
      return { return: result ?? {} };
    } catch (err) {
      return { error: { class: 'GenericError', desc: (err as Error).message } };
    }
  };
}
