import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_ROOT } from '../container/image/build.ts';
import type { Emulator } from '../types.ts';
import { exec } from '../../util/command.ts';

// The QEMUs a process host can run side by side, for same-host upgrades: the machine's own
// (Debian's package) and those of the host-image root filesystems that `cutover setup` keeps
// in its cache (trixie's QEMU 10.0). A rootfs QEMU runs through that rootfs's own dynamic
// loader and libraries, so nothing of it is installed on the machine.

export const SYSTEM_QEMU = 'qemu-system-x86_64';

/** How to start a QEMU kept in a root filesystem without chroot. */
export function rootfsLaunch(rootfs: string): { command: string; prefixArgs: string[] } {
  const libs = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((d) => join(rootfs, d)).join(':');
  return {
    command: join(rootfs, 'lib64/ld-linux-x86-64.so.2'),
    // -L: the firmware of that QEMU, not the machine's (ROM sizes are part of the migration stream).
    prefixArgs: [
      '--library-path',
      libs,
      join(rootfs, 'usr/bin', SYSTEM_QEMU),
      '-L',
      join(rootfs, 'usr/share/qemu'),
      '-L',
      join(rootfs, 'usr/share/seabios'),
    ],
  };
}

function rootfsCandidates(cacheRoot: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(cacheRoot);
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.startsWith('host-'))
    .map((e) => join(cacheRoot, e, 'rootfs'))
    .filter((r) => existsSync(join(r, 'usr/bin', SYSTEM_QEMU)) && existsSync(join(r, 'lib64/ld-linux-x86-64.so.2')));
}

async function versionOf(command: string, prefixArgs: ReadonlyArray<string>): Promise<string | undefined> {
  const result = await exec([command, ...prefixArgs, '--version'], 15_000).catch(() => undefined);
  if (result?.code !== 0) return undefined;
  return /version\s+(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
}

/** Every QEMU this machine can run, one per version, the machine's own first. */
export async function findEmulators(cacheRoot: string = CACHE_ROOT): Promise<Emulator[]> {
  const found: Emulator[] = [];
  // Asked all at once: each answer is a QEMU start.
  const launches = rootfsCandidates(cacheRoot).map((rootfs) => ({ ...rootfsLaunch(rootfs), origin: rootfs }));
  const [system, ...versions] = await Promise.all([
    versionOf(SYSTEM_QEMU, []),
    ...launches.map((l) => versionOf(l.command, l.prefixArgs)),
  ]);
  if (system) found.push({ version: system, command: SYSTEM_QEMU, prefixArgs: [], origin: "this machine's package" });
  launches.forEach((launch, i) => {
    const version = versions[i];
    if (version && !found.some((e) => e.version === version)) found.push({ version, ...launch });
  });
  return found;
}
