// What a run must offer for a requirement to be exercised at all; a requirement whose
// precondition is unmet is skipped with the precondition's words, never failed.
import { runLocally } from '../hosts/process/index.ts';
import type { RunConfig } from '../runner/run-config.ts';
import { onPath } from '../util/path.ts';

/** Says why a run cannot exercise a requirement (then it is skipped with that reason). */
export type Precondition = (config: RunConfig) => string | undefined | Promise<string | undefined>;

/** A SPICE-capable QEMU and a display for the client: Xvfb and remote-viewer. */
export const needsSpice: Precondition = async (config) => {
  const missing = ['Xvfb', 'remote-viewer'].filter((tool) => !onPath(tool));
  if (missing.length) return `no display for a SPICE client can be made here (${missing.join(', ')} missing): run \`npx cutover setup\``;
  if (config.hosts === 'process') {
    // `-spice help` lists the options and exits 1 all the same: read what it says.
    const probe = await runLocally(['qemu-system-x86_64', '-spice', 'help'], 10_000).catch(() => undefined);
    if (!/seamless-migration/.test(`${probe?.stdout ?? ''}${probe?.stderr ?? ''}`)) return 'this QEMU has no SPICE support';
  }
  return undefined;
};

/**
 * A management layer that keeps a registry of guests and hosts and checks migrations against
 * it. cutover's own qemu driver is a bare QMP layer that keeps none: it moves guests within a
 * host on purpose (that is SHU-01), so there is nothing of it to judge here.
 */
export const needsManagementLayer: Precondition = (config) =>
  config.driver === 'qemu'
    ? 'judges a management layer\'s checks; the qemu driver is cutover\'s bare QMP layer with no registry of guests or hosts: run with --driver libvirt --hosts container (or your own driver)'
    : undefined;

/** Daemons with worker pools, migrating peer to peer: libvirt on container hosts. */
export const needsLibvirtHosts: Precondition = (config) =>
  config.driver === 'libvirt' && config.hosts === 'container'
    ? undefined
    : 'needs libvirt daemons on their own hosts: run with --driver libvirt --hosts container';
