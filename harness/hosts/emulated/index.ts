import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { localHostProvider } from '../process/index.ts';
import type { Emulator, HostProvider } from '../types.ts';
import { inDaemon, inQemu, type EmulatedBug } from './bugs.ts';

// Emulated hosts: folders on this machine, like process hosts, whose QEMUs are cutover's
// emulated QEMU (qemu/main.ts) started by Node. The qemu driver starts it with the command
// line it gives a real QEMU; it answers over a real QMP socket, migrates over real sockets,
// and its guest writes to the serial socket. It needs no QEMU, no KVM and no root.

/** The QEMU versions the emulator answers as, its default first (an old and a new one, for SHU-02). */
export const EMULATED_VERSIONS = ['7.2.0', '9.2.0'] as const;

// A path, not an import: the emulator is a program of its own layer (harness/emulator/), above this one.
const MAIN = fileURLToPath(new URL('../../emulator/qemu/main.ts', import.meta.url));
const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');

/** The emulated QEMUs, with the bug variants given switched on. */
export function emulatedQemus(bugs: ReadonlyArray<EmulatedBug> = []): Emulator[] {
  return EMULATED_VERSIONS.map((version) => ({
    version,
    command: process.execPath,
    prefixArgs: ['--import', TSX_LOADER, MAIN, '--emulate', version, ...bugs.flatMap((b) => ['--bug', b]), '--'],
    origin: `cutover's emulated QEMU${bugs.length ? ` with bug ${bugs.join(', ')}` : ''}`,
  }));
}

export function emulatedHostProvider(bugs: ReadonlyArray<EmulatedBug> = [], remember?: (pid: number) => Promise<void>): HostProvider {
  const emulators = emulatedQemus(inQemu(bugs));
  return localHostProvider({
    kind: 'emulated',
    daemonBugs: inDaemon(bugs),
    prepare: async () => ({ qemu: `emulated ${EMULATED_VERSIONS.join(', ')}`, ...(bugs.length && { bugs: bugs.join(', ') }) }),
    emulators: async () => emulators,
  }, remember);
}
