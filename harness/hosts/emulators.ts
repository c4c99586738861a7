import type { Emulator, EmulatorChoice } from './types.ts';
import { UsageError } from '../util/errors.ts';
import { compareVersions } from '../util/versions.ts';

/** Picks a host's emulator; the list comes default first. */
export function chooseEmulator(available: ReadonlyArray<Emulator>, choice: EmulatorChoice, host: string): Emulator {
  const sorted = [...available].sort((a, b) => compareVersions(a.version, b.version));
  const picked = choice === 'default' ? available[0] : choice === 'oldest' ? sorted[0] : sorted.at(-1);
  if (!picked) throw new UsageError(`host '${host}' has no QEMU to start`, 'run `npx cutover setup`');
  return picked;
}
