import { loadDriver } from '../drivers/load.ts';
import type { DriverDescription } from '../drivers/types.ts';
import { ensureGuestImage } from '../guest/build.ts';
import { hostProvider } from '../hosts/index.ts';
import { monotonicClock } from '../util/clock.ts';

/**
 * Everything that can be wrong before a run starts (unknown driver or host kind, no QEMU,
 * no nasm), found before any report folder is made.
 */
export async function preflight(driverSpec: string, hosts: string): Promise<DriverDescription & { driverName: string }> {
  hostProvider(hosts, monotonicClock);
  const factory = await loadDriver(driverSpec);
  const driver = factory({ clock: monotonicClock, log: () => {}, options: {} });
  try {
    const description = await driver.describe();
    await ensureGuestImage();
    return { ...description, driverName: driver.name };
  } finally {
    await driver.close();
  }
}
