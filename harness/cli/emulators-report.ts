import type { Emulator } from '../hosts/types.ts';

/** doctor's line on same-host upgrades: which QEMUs process hosts can run side by side. */
export function formatEmulators(emulators: ReadonlyArray<Emulator>): string {
  const list = emulators.map((e) => `${e.version} (${e.origin})`).join(', ');
  if (emulators.length > 1) return `QEMUs for same-host upgrades: ${list}`;
  return `QEMUs for same-host upgrades: ${list || 'none'}; SHU-02 needs a second, newer one: run \`npx cutover setup\` (it keeps the trixie host image's QEMU 10.0)`;
}
