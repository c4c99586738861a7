import { loadDriver } from '../drivers/load.ts';
import type { ProtocolPhases } from '../drivers/types.ts';
import type { Capability } from '../drivers/vocabulary.ts';
import { ensureGuestImage } from '../guest/build.ts';
import { hostProvider, type HostChoice, type HostProvider } from '../hosts/index.ts';
import type { HostFeature } from '../hosts/types.ts';
import { monotonicClock } from '../util/clock.ts';
import { UsageError } from '../util/errors.ts';

/** What a run is played against: an implementation (driver) on a kind of hosts. */
export interface Target {
  /** A built-in driver's name, or the path of a vendor's driver module. */
  readonly driver: string;
  /** Driver options from the command line, over the scenarios' own. */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  readonly hosts: HostChoice;
  readonly accel: 'auto' | 'kvm' | 'tcg';
}

export interface SystemUnderTest {
  readonly driverName: string;
  /** Driver and host versions, e.g. { qemu: '7.2.22', libvirt: '9.0.0' }. */
  readonly versions: Record<string, string>;
  /** What the driver declared it can do, and what the hosts offer: requirements needing more are skipped. */
  readonly capabilities: ReadonlyArray<Capability>;
  readonly hostFeatures: ReadonlyArray<HostFeature>;
  /** The protocol phases the driver reports, where it reports any. */
  readonly phases?: ProtocolPhases;
  /** The container image, when hosts are containers. */
  readonly image?: string;
  readonly hostProvider: HostProvider;
}

/**
 * Everything that can be wrong before a run starts (unknown driver or host kind, no QEMU,
 * no nasm, no Docker engine, an image that does not build), found before any report folder
 * is made. Builds what is missing on the way (the guest, host images).
 */
export async function preflight(
  target: Pick<Target, 'driver' | 'hosts'>,
  log: (line: string) => void,
): Promise<SystemUnderTest> {
  const provider = hostProvider(target.hosts);
  const factory = await loadDriver(target.driver);
  const driver = factory({ clock: monotonicClock, log: () => {}, options: {} });
  try {
    if (driver.hostKinds && !driver.hostKinds.includes(provider.kind)) {
      throw new UsageError(
        `the ${driver.name} driver runs on ${driver.hostKinds.join(' or ')} hosts, not ${provider.kind} hosts`,
        `use --hosts ${driver.hostKinds[0]}`,
      );
    }
    const description = await driver.describe();
    const { image, release: _release, ...hostVersions } = await provider.prepare(log);
    await ensureGuestImage();
    return {
      driverName: driver.name,
      versions: { ...description.versions, ...hostVersions },
      capabilities: [...driver.capabilities],
      hostFeatures: [...provider.features],
      ...(driver.phases && { phases: driver.phases }),
      ...(image && { image }),
      hostProvider: provider,
    };
  } finally {
    await driver.close();
  }
}
