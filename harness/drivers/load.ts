import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../util/errors.ts';
import { createQemuDriver } from './qemu/index.ts';
import { createLibvirtDriver } from './libvirt/index.ts';
import { createEmulatedDriver } from './emulated/index.ts';
import type { DriverFactory } from './types.ts';

const BUILT_IN: Readonly<Record<string, DriverFactory>> = {
  qemu: createQemuDriver,
  libvirt: createLibvirtDriver,
  emulated: createEmulatedDriver,
};

export const BUILT_IN_DRIVERS = Object.keys(BUILT_IN);

/** The host kinds each built-in driver runs on (libvirt needs hosts that run libvirtd). */
export const BUILT_IN_TARGETS: ReadonlyArray<{
  readonly driver: string;
  readonly hosts: 'process' | 'container' | 'emulated';
}> = [
  { driver: 'qemu', hosts: 'process' },
  { driver: 'qemu', hosts: 'container' },
  { driver: 'libvirt', hosts: 'container' },
  { driver: 'qemu', hosts: 'emulated' },
  { driver: 'emulated', hosts: 'emulated' },
];

/**
 * A built-in driver by name, or a vendor's module by path: its default export (or its
 * `createDriver` export) must be a DriverFactory.
 */
export async function loadDriver(spec: string): Promise<DriverFactory> {
  const builtIn = BUILT_IN[spec];
  if (builtIn) return builtIn;
  const looksLikePath = spec.includes('/') || /\.[cm]?[jt]s$/.test(spec);
  if (!looksLikePath) {
    throw new UsageError(
      `unknown driver '${spec}'`,
      `use one of ${BUILT_IN_DRIVERS.join(', ')}, or the path of a module that implements the Driver interface`,
    );
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new UsageError(`driver module not found: ${path}`, 'check the path given to --driver');
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown; createDriver?: unknown };
  const factory = module.createDriver ?? module.default;
  if (typeof factory !== 'function') {
    throw new UsageError(
      `driver module ${path} exports no driver factory`,
      'export `createDriver(context)` (or a default function) returning a Driver',
    );
  }
  return factory as DriverFactory;
}
