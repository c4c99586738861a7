import type { GuestSpec } from '../types.ts';

export interface QemuLaunch {
  readonly spec: GuestSpec;
  readonly bootImage: string;
  readonly qmpSocket: string;
  readonly incoming: boolean;
  /** Whether /dev/kvm is usable; decides what 'auto' means. */
  readonly kvmUsable: boolean;
  /** A SPICE server on 127.0.0.1 at this port (seamless migration on). */
  readonly spicePort?: number;
  /** Guest RAM in this file, mapped shared: another QEMU of the host can map it too. */
  readonly sharedMemoryPath?: string;
  /**
   * A cpr-transfer destination: it receives the source's RAM file descriptors on this socket
   * (given at start, it cannot be deferred) and its migration stream on the main channel.
   */
  readonly cprSocket?: string;
  /** The data disk: a raw file, or a copy-on-read overlay over the source's NBD export. */
  readonly dataDisk?: DataDisk;
  /** -S: the CPUs stay stopped (an incoming guest too, once its state arrived) until `cont`. */
  readonly startPaused?: boolean;
}

/** The data disk's node is always 'data0' (what exports, streams and mirrors name). */
export const DATA_NODE = 'data0';
/** The overlay node of a streamed disk: block-stream pulls its backing into it. */
export const OVERLAY_NODE = 'data0-overlay';

export type DataDisk =
  | { readonly kind: 'file'; readonly path: string; readonly errorPolicy?: 'stop' | 'report' }
  | {
      readonly kind: 'nbd-overlay';
      readonly overlay: string;
      readonly nbd: { readonly host: string; readonly port: number };
      readonly errorPolicy?: 'stop' | 'report';
    };

/** -blockdev chain and device of the data disk (primary slave, as the disk guest expects). */
export function dataDiskArgs(disk: DataDisk): string[] {
  const chain =
    disk.kind === 'file'
      ? [
          '-blockdev',
          `driver=file,filename=${disk.path},node-name=${DATA_NODE}-file`,
          '-blockdev',
          `driver=raw,file=${DATA_NODE}-file,node-name=${DATA_NODE}`,
        ]
      : [
          '-blockdev',
          `driver=nbd,node-name=${DATA_NODE}-nbd,server.type=inet,server.host=${disk.nbd.host},server.port=${disk.nbd.port},export=${DATA_NODE},read-only=on`,
          '-blockdev',
          `driver=file,filename=${disk.overlay},node-name=${OVERLAY_NODE}-file`,
          '-blockdev',
          `driver=qcow2,node-name=${OVERLAY_NODE},file=${OVERLAY_NODE}-file,backing=${DATA_NODE}-nbd`,
          '-blockdev',
          `driver=copy-on-read,node-name=${DATA_NODE},file=${OVERLAY_NODE}`,
        ];
  const policy = disk.errorPolicy ? `,werror=${disk.errorPolicy},rerror=${disk.errorPolicy}` : '';
  return [...chain, '-device', `ide-hd,drive=${DATA_NODE},bus=ide.0,unit=1,id=data-disk${policy}`];
}

/** -incoming's main and cpr channels for a cpr-transfer destination, next to each other. */
export function cprChannels(cprSocket: string): { main: string; cpr: string } {
  return { main: `${cprSocket.replace(/\.sock$/, '')}-main.sock`, cpr: cprSocket };
}

const unixChannel = (type: 'main' | 'cpr', path: string) => ({
  'channel-type': type,
  addr: { transport: 'socket', type: 'unix', path },
});

const RAM_ID = 'ram0';

export function accelArgs(accel: GuestSpec['accel'], kvmUsable: boolean): string[] {
  if (accel === 'tcg' || (accel === 'auto' && !kvmUsable)) return ['-accel', 'tcg'];
  if (accel === 'kvm') return ['-accel', 'kvm'];
  return ['-accel', 'kvm', '-accel', 'tcg']; // QEMU takes the first that works
}

/** The QEMU command line for the test guest: no defaults, no display, COM1 to the harness. */
/** A channel of `migrate`'s and `-incoming`'s list. */
export { unixChannel };

export function qemuArgs(launch: QemuLaunch): string[] {
  const { spec } = launch;
  return [
    '-name',
    `guest=${spec.name}`,
    ...(spec.uuid !== undefined ? ['-uuid', spec.uuid] : []),
    '-machine',
    `${spec.machine ?? 'pc'}${launch.sharedMemoryPath ? `,memory-backend=${RAM_ID}` : ''}${spec.cpr ? ',aux-ram-share=on' : ''}`,
    ...accelArgs(spec.accel, launch.kvmUsable),
    '-m',
    `${spec.memoryMiB}M`,
    ...(launch.sharedMemoryPath
      ? [
          '-object',
          `memory-backend-file,id=${RAM_ID},size=${spec.memoryMiB}M,mem-path=${launch.sharedMemoryPath},share=on`,
        ]
      : []),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-drive',
    `file=${launch.bootImage},format=raw,if=ide`,
    // COM1 connects to the harness's listening socket: QEMU is the client, nothing is lost.
    '-chardev',
    `socket,id=serial0,path=${spec.serialSocket}`,
    '-serial',
    'chardev:serial0',
    '-qmp',
    `unix:${launch.qmpSocket},server=on,wait=off`,
    ...(launch.startPaused ? ['-S'] : []),
    ...(launch.dataDisk ? dataDiskArgs(launch.dataDisk) : []),
    ...(launch.spicePort !== undefined
      ? ['-spice', `port=${launch.spicePort},addr=127.0.0.1,disable-ticketing=on,seamless-migration=on`, '-vga', 'qxl']
      : []),
    ...(launch.incoming && launch.cprSocket === undefined ? ['-incoming', 'defer'] : []),
    ...(launch.incoming && launch.cprSocket !== undefined
      ? [
          '-incoming',
          JSON.stringify(unixChannel('main', cprChannels(launch.cprSocket).main)),
          '-incoming',
          JSON.stringify(unixChannel('cpr', launch.cprSocket)),
        ]
      : []),
  ];
}
