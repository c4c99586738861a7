// What the suites need from the machine, as data: doctor probes it, setup installs it.
// To add a tool, add a row; the probe kinds below cover commands, daemons and devices.

import { FAMILY_NAMES, type Family } from '../requirements/catalog.ts';

/** 'core' means every family needs it. */
export type Need = Family | 'core';

export type Detect =
  /** Present when the command exits 0 or prints a version matching `pattern` (group 1). */
  | { kind: 'command'; argv: readonly string[]; pattern: RegExp }
  /** Present only when the command succeeds: a client on PATH is not a running daemon.
   *  `daemon` names the server binary and how to start it when it is installed but down. */
  | {
      kind: 'daemon';
      argv: readonly string[];
      pattern: RegExp;
      daemon: { binary: string; unit: string; group: string; logFile: string };
    }
  /** Present when the device can be opened read-write; `group` grants access. */
  | { kind: 'device'; path: string; group: string };

export interface Prerequisite {
  id: string;
  purpose: string;
  families: readonly Need[];
  /** false: suites run without it (degraded or with skips). */
  required: boolean;
  /** Debian packages that provide it; empty when no package can (e.g. /dev/kvm). */
  packages: readonly string[];
  detect: Detect;
  /** Shown when it is absent, e.g. what the harness falls back to. */
  whenAbsent?: string;
}

// Families that run libvirt daemons in containers built from a debootstrap rootfs
// (see FIELD-NOTES.md), and drive them with virsh from the host.
export const LIBVIRT_FAMILIES: readonly Need[] = ['shu', 'uuid', 'p2p', 'pcs', 'v3'];

export const PREREQUISITES: readonly Prerequisite[] = [
  {
    id: 'qemu',
    purpose: 'QEMU system emulator that runs the guests',
    families: ['core'],
    required: true,
    packages: ['qemu-system-x86'],
    detect: {
      kind: 'command',
      argv: ['qemu-system-x86_64', '--version'],
      pattern: /QEMU emulator version (\d+(?:\.\d+)+)/,
    },
  },
  {
    id: 'qemu-img',
    purpose: 'disk images and qemu-nbd for storage migration',
    families: ['core'],
    required: true,
    packages: ['qemu-utils'],
    detect: { kind: 'command', argv: ['qemu-img', '--version'], pattern: /qemu-img version (\d+(?:\.\d+)+)/ },
  },
  {
    id: 'kvm',
    purpose: 'hardware acceleration for guests',
    families: ['core'],
    required: false,
    packages: [],
    detect: { kind: 'device', path: '/dev/kvm', group: 'kvm' },
    whenAbsent: 'QEMU falls back to TCG (slower; timing bounds widen)',
  },
  {
    id: 'nasm',
    purpose: 'assembles the boot-sector test guest',
    families: ['core'],
    required: true,
    packages: ['nasm'],
    detect: { kind: 'command', argv: ['nasm', '-v'], pattern: /NASM version (\d+(?:\.\d+)+)/ },
  },
  {
    id: 'java',
    purpose: 'renders the Allure HTML report',
    families: ['core'],
    required: false,
    packages: ['default-jre-headless'],
    detect: { kind: 'command', argv: ['java', '-version'], pattern: /version "([^"]+)"/ },
    whenAbsent: 'no Allure HTML; JUnit and the certificate are still written',
  },
  {
    id: 'setpriv',
    purpose: 'ties child QEMUs to the harness (parent-death signal)',
    families: ['core'],
    required: true,
    packages: ['util-linux'],
    detect: { kind: 'command', argv: ['setpriv', '--version'], pattern: /util-linux (\d+(?:\.\d+)+)/ },
  },
  {
    id: 'docker-engine',
    purpose: 'container hosts for libvirt daemons',
    families: LIBVIRT_FAMILIES,
    required: true,
    packages: ['docker.io'],
    detect: {
      kind: 'daemon',
      argv: ['docker', 'info', '--format', '{{.ServerVersion}}'],
      pattern: /^\s*(\d+(?:\.\d+)+\S*)/m,
      daemon: { binary: 'dockerd', unit: 'docker', group: 'docker', logFile: '/var/log/dockerd.log' },
    },
  },
  {
    id: 'debootstrap',
    purpose: 'builds the rootfs for host images and a newer QEMU',
    families: LIBVIRT_FAMILIES,
    required: true,
    packages: ['debootstrap'],
    detect: { kind: 'command', argv: ['debootstrap', '--version'], pattern: /debootstrap (\S+)/ },
  },
  {
    id: 'libvirt-client',
    purpose: 'virsh, to drive the libvirt daemons',
    families: LIBVIRT_FAMILIES,
    required: true,
    packages: ['libvirt-clients'],
    detect: { kind: 'command', argv: ['virsh', '--version'], pattern: /^\s*(\d+(?:\.\d+)+)/m },
  },
  {
    id: 'remote-viewer',
    purpose: 'the SPICE client whose handover is judged',
    families: ['spice'],
    required: true,
    packages: ['virt-viewer'],
    detect: { kind: 'command', argv: ['remote-viewer', '--version'], pattern: /version (\S+)/ },
  },
  {
    id: 'xvfb',
    purpose: 'headless X display for remote-viewer',
    families: ['spice'],
    required: true,
    // xauth is only a Recommends of xvfb, but xvfb-run cannot start a display without it.
    packages: ['xvfb', 'xauth'],
    // Xvfb has no -version (it exits 1: "Unrecognized option"); -help exits 0 but names no
    // version, so the row is present without one (the pattern fits Xorg-style banners).
    detect: { kind: 'command', argv: ['Xvfb', '-help'], pattern: /X Server (\d+(?:\.\d+)+)/ },
  },
];

/** Rows needed by any of the given families ('core' rows always); all rows when unset. */
export function prerequisitesFor(
  families?: readonly string[],
  table: readonly Prerequisite[] = PREREQUISITES,
): Prerequisite[] {
  if (families === undefined || families.length === 0) return [...table];
  const unknown = families.filter((f) => f !== 'core' && !(FAMILY_NAMES as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw new Error(
      `unknown famil${unknown.length === 1 ? 'y' : 'ies'}: ${unknown.join(', ')} (known: ${FAMILY_NAMES.join(', ')})`,
    );
  }
  return table.filter((p) => p.families.some((need) => need === 'core' || families.includes(need)));
}
