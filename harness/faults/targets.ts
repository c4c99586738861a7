import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import type { Side } from '../drivers/types.ts';
import type { LinkState } from '../network/relay.ts';
import { MAIN_GUEST } from '../observation/derive.ts';
import type { FaultTarget } from '../observation/history.ts';
import { Unavailable } from '../util/errors.ts';
import { guestRef } from '../util/fields.ts';
import type { FaultScope } from './types.ts';

// What several fault kinds share: their target fields, and how they reach what they strike.

/** One side's emulator of a guest. */
export const sideFields = z.strictObject({ side: z.enum(SIDES), guest: guestRef });
/** A host, by its name in the scenario. */
export const hostFields = z.strictObject({ host: z.string() });
/** A guest's migration link. */
export const linkFields = z.strictObject({ guest: guestRef });
/** The harness's SPICE client. */
export const clientFields = z.strictObject({});

export const sideTarget = (fault: { side: Side; guest?: string | undefined }, scope: FaultScope): FaultTarget => {
  const host = tryOr(() => scope.side(fault.guest, fault.side).host.name);
  return { guest: fault.guest ?? MAIN_GUEST, side: fault.side, ...(host && { host }) };
};

export const hostTarget = (fault: { host: string }): FaultTarget => ({ host: fault.host });

export const linkTarget = (fault: { guest?: string | undefined }, scope: FaultScope): FaultTarget => {
  const host = scope.link(fault.guest).destination?.name;
  return { guest: fault.guest ?? MAIN_GUEST, ...(host && { host }) };
};

const guestLabel = (guest: string | undefined): string =>
  guest === undefined || guest === MAIN_GUEST ? 'the guest' : `guest ${guest}`;

/** Signals one side's emulator: kill -9, or a freeze and a thaw. */
export async function signalSide(
  fault: { side: Side; guest?: string | undefined },
  scope: FaultScope,
  signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT',
): Promise<string> {
  const handle = scope.side(fault.guest, fault.side);
  await handle.signal(signal);
  return `${signal} to the ${fault.side} emulator of ${guestLabel(fault.guest)} on ${handle.host.name}`;
}

/**
 * Sets a guest's migration link: the harness's relays when its migration goes through them
 * (or before it started: relays made later take the state), else the destination host's own
 * network link, which can be cut and healed but not blackholed.
 */
export async function setLink(
  fault: { guest?: string | undefined },
  scope: FaultScope,
  state: Exclude<LinkState, 'held'>,
): Promise<string> {
  const { link, destination } = scope.link(fault.guest);
  const verb = state === 'up' ? 'healed' : state === 'cut' ? 'cut' : 'blackholed';
  if (link.relayed || !destination) {
    await link.set(state);
    return `${verb} the migration link of ${guestLabel(fault.guest)} (harness relay${link.relayed ? '' : ', before the migration connected'})`;
  }
  const controls = destination.controls;
  if (!controls || state === 'blackhole') {
    throw new Unavailable(
      `no way to ${state === 'blackhole' ? 'blackhole' : verb.replace(/ed$/, '')} the migration link here (no relay, and ${destination.name} has ${controls ? 'no blackhole' : 'no link controls'})`,
    );
  }
  await (state === 'cut' ? controls.cutLink() : controls.healLink());
  return `${verb} ${destination.name}'s network link`;
}

/** What a host offers for whole-host faults (pause, link), where its kind offers any. */
export function controlsOf(scope: FaultScope, host: string) {
  const controls = scope.host(host).controls;
  if (!controls) throw new Unavailable(`${host} offers no whole-host controls`);
  return controls;
}

/** The management daemon of a host, through the driver's daemon facet. */
export function daemonsOf(scope: FaultScope) {
  const daemons = scope.driver.daemons;
  if (!daemons) throw new Unavailable(`the ${scope.driver.name} driver runs no daemons to act on`);
  return daemons;
}

/** The harness's SPICE client, which a step must have connected. */
export function clientOf(scope: FaultScope) {
  const client = scope.spiceClient();
  if (!client) throw new Unavailable('no SPICE client is connected');
  return client;
}

function tryOr<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
