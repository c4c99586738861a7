import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { localHostProvider } from '../process/index.ts';
import type { Emulator, HostProvider, SpiceClientProgram } from '../types.ts';
import { inDaemon, inQemu, type EmulatedSwitch } from './bugs.ts';

// Emulated hosts: folders on this machine, like process hosts, whose QEMUs are cutover's
// emulated QEMU (qemu/main.ts) started by Node. The qemu driver starts it with the command
// line it gives a real QEMU; it answers over a real QMP socket, migrates over real sockets,
// and its guest writes to the serial socket. It needs no QEMU, no KVM and no root.

/**
 * The QEMU versions the emulator answers as, its default first, oldest to newest: an old and
 * a new one for SHU-02's upgrade, and 10.0 (the newest) for cpr-transfer (SHU-04).
 */
export const EMULATED_VERSIONS = ['7.2.0', '9.2.0', '10.0.0'] as const;

// Paths, not imports: the emulator's programs belong to a layer of their own (harness/emulator/), above this one.
const PROGRAMS = {
  qemu: fileURLToPath(new URL('../../emulator/qemu/main.ts', import.meta.url)),
  'qemu-img': fileURLToPath(new URL('../../emulator/qemu/img-main.ts', import.meta.url)),
  'spice-client': fileURLToPath(new URL('../../emulator/spice/client-main.ts', import.meta.url)),
} as const;
const bundled = new Map<keyof typeof PROGRAMS, Promise<string>>();

/**
 * One of the emulator's programs bundled into one JavaScript file (esbuild), named by its
 * content's hash: it starts in ~50 ms where compiling its TypeScript at every start took
 * ~300 ms of CPU.
 */
function emulatorProgram(name: keyof typeof PROGRAMS): Promise<string> {
  let program = bundled.get(name);
  if (!program) {
    program = (async () => {
      const bundle = await build({
        entryPoints: [PROGRAMS[name]],
        bundle: true,
        platform: 'node',
        format: 'esm',
        write: false,
        logLevel: 'silent',
      });
      const code = bundle.outputFiles[0]?.text ?? '';
      const dir = join(tmpdir(), 'cutover-emulator');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
      // Written aside, then renamed over: other runs may be starting this very file, and a
      // rewrite in place let one read it empty (an emulated QEMU that ended at once, exit 0).
      const aside = `${file}.${process.pid}.${bundled.size}.tmp`;
      await writeFile(aside, code);
      await rename(aside, file);
      return file;
    })();
    bundled.set(name, program);
  }
  return program;
}

/** The emulated SPICE client: the only one the emulated QEMU's SPICE server speaks with. */
export async function emulatedSpiceClient(): Promise<SpiceClientProgram> {
  return {
    command: process.execPath,
    prefixArgs: [await emulatorProgram('spice-client')],
    origin: "cutover's emulated SPICE client",
  };
}

/** The emulated QEMUs, with the bug variants given switched on. */
export async function emulatedQemus(bugs: ReadonlyArray<EmulatedSwitch> = []): Promise<Emulator[]> {
  const main = await emulatorProgram('qemu');
  return EMULATED_VERSIONS.map((version) => ({
    version,
    command: process.execPath,
    prefixArgs: [main, '--emulate', version, ...bugs.flatMap((b) => ['--bug', b]), '--'],
    origin: `cutover's emulated QEMU${bugs.length ? ` with bug ${bugs.join(', ')}` : ''}`,
    withoutKvm: true,
  }));
}

export function emulatedHostProvider(
  bugs: ReadonlyArray<EmulatedSwitch> = [],
  remember?: (pid: number) => Promise<void>,
): HostProvider {
  let emulators: Promise<Emulator[]> | undefined;
  return localHostProvider(
    {
      kind: 'emulated',
      daemonBugs: inDaemon(bugs),
      prepare: async () => ({
        qemu: `emulated ${EMULATED_VERSIONS.join(', ')}`,
        ...(bugs.length && { bugs: bugs.join(', ') }),
      }),
      emulators: () => (emulators ??= emulatedQemus(inQemu(bugs))),
      spiceClient: emulatedSpiceClient,
      // The qemu driver makes a streamed disk's overlay with qemu-img, the harness reads disks
      // with it: an emulated host answers with the emulator's, which knows its images.
      tools: async () => ({ 'qemu-img': [process.execPath, await emulatorProgram('qemu-img')] }),
    },
    remember,
  );
}
