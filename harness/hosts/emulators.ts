import type { Emulator, EmulatorChoice } from './types.ts';
import { UsageError } from '../util/errors.ts';

/** Orders dotted versions numerically ("7.2.22" < "10.0.13"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Picks a host's emulator; the list comes default first. */
export function chooseEmulator(available: ReadonlyArray<Emulator>, choice: EmulatorChoice, host: string): Emulator {
  const sorted = [...available].sort((a, b) => compareVersions(a.version, b.version));
  const picked = choice === 'default' ? available[0] : choice === 'oldest' ? sorted[0] : sorted.at(-1);
  if (!picked) throw new UsageError(`host '${host}' has no QEMU to start`, 'run `npx cutover setup`');
  return picked;
}
