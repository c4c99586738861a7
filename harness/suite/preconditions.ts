// What a run must offer for a requirement to be exercised at all. They ask what the driver
// declared it can do and what the hosts offer, never which driver it is; a requirement whose
// precondition is unmet is skipped with the precondition's words and how to meet them.
import { CAPABILITIES, type Capability } from '../drivers/vocabulary.ts';
import { HOST_FEATURES, type HostFeature } from '../hosts/types.ts';
import { onPath } from '../util/path.ts';
import type { RunConfig } from './run-config.ts';

/** Says why a run cannot exercise a requirement (then it is skipped with that reason). */
export type Precondition = (config: RunConfig) => string | undefined;

/** The driver must declare these capabilities. */
export const needs =
  (...wanted: Capability[]): Precondition =>
  (config) => {
    const missing = wanted.filter((c) => !config.capabilities.includes(c));
    if (!missing.length) return undefined;
    return `needs a driver that ${missing.map((c) => `${CAPABILITIES[c]} (${c})`).join(' and ')}; the ${config.driverName} driver declares no such capability: run with a driver that does (--driver libvirt --hosts container, or your own)`;
  };

/** The hosts must offer these features. */
export const needsHosts =
  (...wanted: HostFeature[]): Precondition =>
  (config) => {
    const missing = wanted.filter((f) => !config.hostFeatures.includes(f));
    if (!missing.length) return undefined;
    return `needs hosts that offer ${missing.map((f) => `${HOST_FEATURES[f]} (${f})`).join(' and ')}; ${config.hosts} hosts do not: run with --hosts container`;
  };

/** Every one of them must hold. */
export const allOf =
  (...preconditions: Precondition[]): Precondition =>
  (config) => {
    for (const precondition of preconditions) {
      const unmet = precondition(config);
      if (unmet) return unmet;
    }
    return undefined;
  };

/** A display for the harness's SPICE client (Xvfb and remote-viewer), and a driver with SPICE. */
export const needsSpiceClient: Precondition = allOf(needs('spice'), () => {
  const missing = ['Xvfb', 'remote-viewer'].filter((tool) => !onPath(tool));
  return missing.length
    ? `no display for a SPICE client can be made here (${missing.join(', ')} missing): run \`npx cutover setup\``
    : undefined;
});

/** Checks a management layer makes against its registry of guests and hosts. */
export const needsRegistry: Precondition = needs('registry');

/** Daemons with worker pools, tuned per host (workers, keepalive). */
export const needsDaemons: Precondition = allOf(needs('daemon-pools'), needsHosts('daemon-settings'));

/** Hosts made to share one host UUID, and a management layer that checks it. */
export const needsHostIdentity: Precondition = allOf(needs('registry'), needsHosts('daemon-settings'));
