import { loadDriver } from '../drivers/load.ts';
import { ensureGuestImage } from '../guest/build.ts';
import { hostProvider, type HostChoice, type HostProvider } from '../hosts/index.ts';
import { monotonicClock } from '../util/clock.ts';

export interface SystemUnderTest {
  readonly driverName: string;
  /** Driver and host versions, e.g. { qemu: '7.2.22', libvirt: '9.0.0' }. */
  readonly versions: Record<string, string>;
  /** The container image, when hosts are containers. */
  readonly image?: string;
  readonly hostProvider: HostProvider;
}

/**
 * Everything that can be wrong before a run starts (unknown driver or host kind, no QEMU,
 * no nasm, no Docker engine, an image that does not build), found before any report folder
 * is made. Builds what is missing on the way (the guest, host images).
 */
export async function preflight(driverSpec: string, hosts: HostChoice, log: (line: string) => void): Promise<SystemUnderTest> {
  const provider = hostProvider(hosts);
  const factory = await loadDriver(driverSpec);
  const driver = factory({ clock: monotonicClock, log: () => {}, options: {} });
  try {
    const description = await driver.describe();
    const { image, release: _release, ...hostVersions } = await provider.prepare(log);
    await ensureGuestImage();
    return { driverName: driver.name, versions: { ...description.versions, ...hostVersions }, ...(image && { image }), hostProvider: provider };
  } finally {
    await driver.close();
  }
}
