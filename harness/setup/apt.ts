// Asking dpkg what is installed, and the exact apt commands that install the rest.
import type { CommandRunner } from '../util/command.ts';

export const DPKG_TIMEOUT_MS = 10_000;

/** dpkg-query's ${Status} is "want flag state", e.g. "install ok installed" or
 *  "deinstall ok config-files"; only the state 'installed' means usable files. */
export function isInstalledStatus(status: string): boolean {
  const state = status.trim().split(/\s+/)[2];
  return state === 'installed';
}

/** Installed or not, per package, by `dpkg-query -W -f='${Status}' PKG` (run concurrently).
 *  An unknown package makes dpkg-query exit 1: that is "not installed", not an error. */
export async function installedPackages(
  packages: readonly string[],
  run: CommandRunner,
): Promise<Map<string, boolean>> {
  const unique = [...new Set(packages)];
  const answers = await Promise.all(
    unique.map(async (pkg) => {
      const res = await run(['dpkg-query', '-W', '-f=${Status}', pkg], { timeoutMs: DPKG_TIMEOUT_MS });
      if (res.spawnError !== undefined) {
        throw new Error(`cannot run dpkg-query (${res.spawnError}): is this a Debian-based machine?`);
      }
      if (res.timedOut) throw new Error(`dpkg-query -W ${pkg} did not answer within ${DPKG_TIMEOUT_MS / 1000} s`);
      return [pkg, res.code === 0 && isInstalledStatus(res.stdout)] as const;
    }),
  );
  return new Map(answers);
}

// Wait for another apt/dpkg (e.g. unattended-upgrades) instead of failing on its lock.
const LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=120'];

export function aptUpdateArgv(): string[] {
  return ['apt-get', ...LOCK_WAIT, 'update'];
}

export function aptInstallArgv(packages: readonly string[]): string[] {
  return ['apt-get', ...LOCK_WAIT, 'install', '-y', '--no-install-recommends', ...packages];
}

/** What a non-root user must run themselves. */
export function sudoInstallCommand(packages: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

/** A short fix for one missing piece, for doctor's lines. */
export function installFix(packages: readonly string[], root: boolean): string {
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}
