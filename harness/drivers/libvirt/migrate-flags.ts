import type { MigrationSettings } from '../types.ts';

/** How the driver asks libvirt to migrate; scenario `driver.options` may change each. */
export interface LibvirtMigrateFlags {
  readonly p2p: boolean;
  readonly tunnelled: boolean;
  readonly unsafe: boolean;
}

export function flagsFrom(options: Readonly<Record<string, unknown>>): LibvirtMigrateFlags {
  const flag = (key: string, fallback: boolean): boolean =>
    typeof options[key] === 'boolean' ? (options[key] as boolean) : fallback;
  // unsafe by default: the test guest never writes its disk after boot, and the disk lies in a
  // folder every host sees, shared storage that libvirt cannot recognise as such.
  return { p2p: flag('p2p', true), tunnelled: flag('tunnelled', false), unsafe: flag('unsafe', true) };
}

/** virsh's unit for bandwidths: MiB/s, at least 1. */
export const mib = (bytes: number): string => String(Math.max(1, Math.round(bytes / 2 ** 20)));

/** `virsh migrate`'s options for these settings (the domain and URIs come after). */
export function migrateFlags(flags: LibvirtMigrateFlags, settings: MigrationSettings): string[] {
  const args = ['--live'];
  if (flags.p2p) args.push('--p2p');
  if (flags.tunnelled) args.push('--tunnelled');
  if (flags.unsafe) args.push('--unsafe');
  // libvirt runs its storage copy at the migration's bandwidth: one figure for both.
  const bandwidth = settings.maxBandwidth ?? settings.storage?.bandwidth;
  if (bandwidth) args.push('--bandwidth', mib(bandwidth));
  if (settings.postcopy) args.push('--postcopy');
  if (settings.postcopyBandwidth) args.push('--postcopy-bandwidth', mib(settings.postcopyBandwidth));
  if (settings.storage?.mode === 'mirror-before') args.push('--copy-storage-all');
  return args;
}
