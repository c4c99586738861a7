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
}

/** -incoming's main and cpr channels for a cpr-transfer destination, next to each other. */
export function cprChannels(cprSocket: string): { main: string; cpr: string } {
  return { main: cprSocket.replace(/\.sock$/, '') + '-main.sock', cpr: cprSocket };
}

const unixChannel = (type: 'main' | 'cpr', path: string) => ({ 'channel-type': type, addr: { transport: 'socket', type: 'unix', path } });

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
    '-name', `guest=${spec.name}`,
    ...(spec.uuid !== undefined ? ['-uuid', spec.uuid] : []),
    '-machine', `${spec.machine ?? 'pc'}${launch.sharedMemoryPath ? `,memory-backend=${RAM_ID}` : ''}${spec.cpr ? ',aux-ram-share=on' : ''}`,
    ...accelArgs(spec.accel, launch.kvmUsable),
    '-m', `${spec.memoryMiB}M`,
    ...(launch.sharedMemoryPath
      ? ['-object', `memory-backend-file,id=${RAM_ID},size=${spec.memoryMiB}M,mem-path=${launch.sharedMemoryPath},share=on`]
      : []),
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-drive', `file=${launch.bootImage},format=raw,if=ide`,
    // COM1 connects to the harness's listening socket: QEMU is the client, nothing is lost.
    '-chardev', `socket,id=serial0,path=${spec.serialSocket}`,
    '-serial', 'chardev:serial0',
    '-qmp', `unix:${launch.qmpSocket},server=on,wait=off`,
    ...(launch.spicePort !== undefined
      ? ['-spice', `port=${launch.spicePort},addr=127.0.0.1,disable-ticketing=on,seamless-migration=on`, '-vga', 'qxl']
      : []),
    ...(launch.incoming && launch.cprSocket === undefined ? ['-incoming', 'defer'] : []),
    ...(launch.incoming && launch.cprSocket !== undefined
      ? ['-incoming', JSON.stringify(unixChannel('main', cprChannels(launch.cprSocket).main)), '-incoming', JSON.stringify(unixChannel('cpr', launch.cprSocket))]
      : []),
  ];
}
