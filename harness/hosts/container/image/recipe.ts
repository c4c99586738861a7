// What goes into a container host image, as data: one row per Debian release. Adding a
// release is adding a row (and its name to HOST_RELEASES).
import { createHash } from 'node:crypto';

export const HOST_RELEASES = ['bookworm', 'trixie'] as const;
export type HostRelease = (typeof HOST_RELEASES)[number];

export interface HostRecipe {
  release: HostRelease;
  /** The suite debootstrap is asked for. */
  suite: string;
  /** What the release ships, for people reading this table (checked after the build). */
  expect: { qemu: string; libvirt: string };
  /** Installed by `debootstrap --variant=minbase --include=…`. */
  packages: readonly string[];
  /** Installed afterwards by `apt-get install` inside the chroot (with /proc, /sys and
   *  /dev bound): for packages whose maintainer scripts fail under debootstrap. */
  secondStep: readonly string[];
}

/** In every image: the emulator, tini (PID 1, reaps QEMU's orphans: without it libvirt
 *  waits 40 s per killed QEMU), and the tools tests use inside a host. dmidecode lets
 *  libvirt read the host's sysinfo without logging an error at each start. */
const BASE_PACKAGES = [
  'qemu-system-x86',
  'qemu-utils',
  'tini',
  'iproute2',
  'procps',
  'iptables',
  'socat',
  'dmidecode',
] as const;

export const HOST_RECIPES: Readonly<Record<HostRelease, HostRecipe>> = {
  bookworm: {
    release: 'bookworm',
    suite: 'bookworm',
    expect: { qemu: '7.2', libvirt: '9.0' },
    // libvirt 9.0: libvirtd and virtlogd are in libvirt-daemon, virsh and virt-admin in
    // libvirt-clients, the QEMU driver in libvirt-daemon-driver-qemu.
    packages: [...BASE_PACKAGES, 'libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-clients'],
    secondStep: [],
  },
  trixie: {
    release: 'trixie',
    suite: 'trixie',
    expect: { qemu: '10.0', libvirt: '11.3' },
    packages: [...BASE_PACKAGES],
    // libvirt 11.3 pulls in systemd (through systemd-container and polkitd), whose
    // postinst fails under debootstrap, so it comes in a second step. libvirtd is still
    // in libvirt-daemon; virtlogd moved to libvirt-daemon-log and virt-admin to
    // libvirt-daemon-common (both dependencies, named here so the image says what it needs).
    secondStep: [
      'libvirt-daemon',
      'libvirt-daemon-driver-qemu',
      'libvirt-daemon-log',
      'libvirt-daemon-common',
      'libvirt-clients',
    ],
  },
};

export function isHostRelease(name: string): name is HostRelease {
  return (HOST_RELEASES as readonly string[]).includes(name);
}

export function hostRecipe(release: string): HostRecipe {
  if (!isHostRelease(release)) throw new Error(`unknown host release: ${release} (known: ${HOST_RELEASES.join(', ')})`);
  return HOST_RECIPES[release];
}

/** Everything a host image is made from. Its hash names the image and the cached rootfs. */
export interface HostImageInputs {
  /** The build code's own version (HOST_IMAGE_BUILD_VERSION): bump it when build.ts
   *  changes what it makes. */
  buildVersion: number;
  recipe: HostRecipe;
  /** The text of cutover-host-init. */
  initScript: string;
  /** The shell script that configures the rootfs inside the chroot. */
  configureScript: string;
  /** The `docker import --change` lines (entrypoint, env). */
  imageChanges: readonly string[];
}

/** JSON with object keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 12 hex digits of SHA-256 over every input. */
export function hostImageHash(inputs: HostImageInputs): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 12);
}

export const HOST_IMAGE_REPOSITORY = 'cutover-host';

export function hostImageTag(release: HostRelease, hash: string): string {
  return `${HOST_IMAGE_REPOSITORY}:${release}-${hash}`;
}
