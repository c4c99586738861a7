import type { Capability } from '../drivers/vocabulary.ts';
import type { HostFeature } from '../hosts/types.ts';
import { blackholeLink } from './blackhole-link/index.ts';
import { cutLink } from './cut-link/index.ts';
import { freezeDaemon } from './freeze-daemon/index.ts';
import { freeze } from './freeze/index.ts';
import { healLink } from './heal-link/index.ts';
import { killClient } from './kill-client/index.ts';
import { kill } from './kill/index.ts';
import { pauseHost } from './pause-host/index.ts';
import { refusePrepare } from './refuse-prepare/index.ts';
import { restartDaemon } from './restart-daemon/index.ts';
import { resumeClient } from './resume-client/index.ts';
import { resumeHost } from './resume-host/index.ts';
import { silentPort } from './silent-port/index.ts';
import { stallClient } from './stall-client/index.ts';
import { thawDaemon } from './thaw-daemon/index.ts';
import { thaw } from './thaw/index.ts';
import type { FaultKind, FaultNeeds } from './types.ts';

/** Every fault kind cutover can strike: a new kind is a folder beside these and one line here. */
export const FAULTS = [
  kill,
  freeze,
  thaw,
  cutLink,
  blackholeLink,
  healLink,
  silentPort,
  freezeDaemon,
  thawDaemon,
  restartDaemon,
  refusePrepare,
  pauseHost,
  resumeHost,
  stallClient,
  resumeClient,
  killClient,
] as const satisfies ReadonlyArray<FaultKind>;

const BY_KIND: ReadonlyMap<string, FaultKind> = new Map(FAULTS.map((f) => [f.kind, f as unknown as FaultKind]));

export function faultKind(kind: string): FaultKind {
  const found = BY_KIND.get(kind);
  if (!found) throw new Error(`no fault kind '${kind}'`);
  return found;
}

/** Why a fault kind cannot strike with this driver and these hosts, or undefined when it can. */
export function unsupportedBecause(
  fault: FaultKind,
  driver: ReadonlySet<Capability>,
  host: ReadonlySet<HostFeature>,
): string | undefined {
  const missing = (needs: FaultNeeds): string[] => [
    ...(needs.driver ?? []).filter((c) => !driver.has(c)).map((c) => `driver capability '${c}'`),
    ...(needs.host ?? []).filter((f) => !host.has(f)).map((f) => `host feature '${f}'`),
  ];
  const plain = missing(fault.needs ?? {});
  if (plain.length) return `fault '${fault.kind}' needs ${plain.join(' and ')}`;
  if (fault.needsEither) {
    const [a, b] = fault.needsEither.map(missing) as [string[], string[]];
    if (a.length && b.length) return `fault '${fault.kind}' needs ${a.join(' and ')}, or ${b.join(' and ')}`;
  }
  return undefined;
}

export { arm, describePlacement, placementSchema, PLACEMENTS, type Placement } from './placement.ts';
export type { FaultKind, FaultScope } from './types.ts';
