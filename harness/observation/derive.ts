// The Observation judges read, derived from a scenario's history and nothing else: the same
// history always gives the same observation, so a stored run can be judged again.
import type { Side } from '../drivers/types.ts';
import { DISK_LAYOUT, GUEST_LAYOUT } from '../guest/layout.ts';
import { HISTORY_FORMAT, type EntryOf, type HistoryEntry } from './history.ts';
import type { GuestIdentity, GuestObservation, Observation, SideProgress } from './types.ts';

/** The scenario's `guest`; others are named in `guests`. */
export const MAIN_GUEST = 'main';

export function deriveObservation(entries: ReadonlyArray<HistoryEntry>): Observation {
  const begin = entries.find((e): e is EntryOf<'begin'> => e.type === 'begin');
  if (!begin) throw new Error('a history without its begin entry');
  if (begin.format !== HISTORY_FORMAT)
    throw new Error(`a history of format ${String(begin.format)}; this cutover reads format ${HISTORY_FORMAT}`);
  const of = <T extends HistoryEntry['type']>(type: T): Array<EntryOf<T>> =>
    entries.filter((e): e is EntryOf<T> => e.type === type);
  const end = of('end').at(-1)?.t ?? entries.at(-1)?.t ?? 0;
  const guests = Object.keys(begin.guests);
  const perGuest = new Map(guests.map((key) => [key, guestPart(entries, key, begin)]));
  const main = perGuest.get(MAIN_GUEST) ?? guestPart(entries, MAIN_GUEST, begin);
  const others: Record<string, GuestObservation> = {};
  for (const [key, part] of perGuest) {
    if (key === MAIN_GUEST) continue;
    const { exits: _exits, disks: _disks, spice: _spice, ...rest } = part;
    others[key] = rest;
  }
  const accelerators = [
    ...new Set(
      of('guest')
        .map((g) => g.accelerator)
        .filter((a): a is string => !!a),
    ),
  ];
  const deadlock = of('deadlock').at(-1);
  const settle = of('settle').at(-1);
  const unanswered = of('unanswered').map(({ type: _type, ...look }) => look);
  return {
    format: HISTORY_FORMAT,
    scenario: begin.scenario,
    driver: {
      name: begin.driver.name,
      versions: { ...begin.driver.versions, ...emulatorVersions(main.spec) },
      capabilities: begin.driver.capabilities,
      ...(accelerators.length && { accelerator: accelerators.join(', ') }),
    },
    hostKind: begin.hostKind,
    hosts: begin.hosts,
    startedAt: begin.startedAt,
    ...(begin.timeScale !== undefined && { timeScale: begin.timeScale }),
    durationMs: end,
    steps: of('step').map(({ index, do: kind, startedAt, t, outcome, detail }) => ({
      index,
      do: kind,
      startedAt,
      endedAt: t,
      outcome,
      ...(detail !== undefined && { detail }),
    })),
    events: main.events,
    states: main.states,
    progress: main.progress,
    ...(main.migration && { migration: main.migration }),
    memory: main.memory,
    disks: main.disks,
    guest: main.spec,
    inventories: of('inventory').map(({ t, host, guests: held }) => ({ t, host, guests: held })),
    exits: main.exits,
    guests: others,
    daemons: of('pool').map(({ t, host, pool }) => ({ t, host, pool })),
    calls: of('call').map(({ type: _type, ...call }) => call),
    faults: of('fault')
      .filter((f) => f.outcome === 'struck')
      .map(({ t, kind, target, placement, detail }) => ({
        t,
        kind,
        target,
        placement,
        ...(detail !== undefined && { detail }),
      })),
    actions: of('action').map(({ t, guest, action, refused }) => ({
      t,
      guest,
      action,
      ...(refused !== undefined && { refused }),
    })),
    spice: main.spice,
    spiceTargets: of('spice-target')
      .filter((e) => e.guest === MAIN_GUEST)
      .map(({ t }) => ({ t })),
    ...(unanswered.length && { unanswered }),
    ...(deadlock && {
      deadlock: { onsetAt: deadlock.onsetAt, declaredAt: deadlock.t, guests: deadlock.guests, pools: deadlock.pools },
    }),
    ...(settle && {
      settle: {
        from: settle.from,
        until: settle.t,
        boundMs: settle.boundMs,
        basis: settle.basis,
        endedBy: settle.endedBy,
        detail: settle.detail,
      },
    }),
    evidence: [],
  };
}

type GuestPart = GuestObservation &
  Pick<Observation, 'exits' | 'disks' | 'spice' | 'memory'> & { readonly spec: GuestIdentity };

function guestPart(entries: ReadonlyArray<HistoryEntry>, key: string, begin: EntryOf<'begin'>): GuestPart {
  const mine = <T extends HistoryEntry['type']>(type: T): Array<EntryOf<T> & { guest: string }> =>
    entries.filter(
      (e): e is EntryOf<T> & { guest: string } => e.type === type && (e as { guest?: string }).guest === key,
    );
  const spec = begin.guests[key];
  const migrate = mine('migrate').at(-1);
  const final = mine('final').at(-1);
  const cancel = migrate && mine('action').find((a) => a.action === 'cancel' && a.t >= migrate.t);
  const bySide = <T extends { side: Side }, V>(
    list: ReadonlyArray<T>,
    pick: (entry: T) => V,
  ): Partial<Record<Side, V>> => {
    const out: Partial<Record<Side, V>> = {};
    for (const entry of list) out[entry.side] = pick(entry);
    return out;
  };
  const emulators: Partial<Record<Side, string>> = {};
  for (const g of mine('guest')) if (g.emulatorVersion) emulators[g.side] = g.emulatorVersion;
  const exits: Partial<Record<Side, EntryOf<'exit'>['exit']>> = {};
  for (const x of mine('exit')) exits[x.side] ??= x.exit;
  const identity: GuestIdentity = {
    name: spec?.name ?? key,
    emulators,
    ...(spec && { memoryMiB: spec.memoryMiB }),
    ...(spec?.uuid !== undefined && { uuid: spec.uuid }),
    ...(migrate?.destinationUuid !== undefined && { destinationUuid: migrate.destinationUuid }),
  };
  return {
    spec: identity,
    events: mine('event').map((e) => e.event),
    states: mine('state').map(({ t, side, state }) => ({ t, side, state })),
    progress: {
      source: progressOf(mine('progress'), 'source', spec?.disk === true),
      destination: progressOf(mine('progress'), 'destination', spec?.disk === true),
    },
    ...(migrate && {
      migration: {
        requestedAt: migrate.t,
        from: migrate.from,
        to: migrate.to,
        settings: migrate.settings,
        unreachable: migrate.unreachable,
        ...(final && { final: final.info }),
        ...(cancel && { cancelRequestedAt: cancel.t }),
      },
    }),
    memory: bySide(mine('memory'), ({ check, counters, t }) => ({ ...check, t, counters })),
    disks: bySide(mine('disk'), ({ check, t }) => ({ ...check, t })),
    spice: mine('spice').map(({ t, side, status }) => ({ t, side, status })),
    exits,
  };
}

function progressOf(entries: ReadonlyArray<EntryOf<'progress'>>, side: Side, disk: boolean): SideProgress {
  const times = (ch: string): number[] => {
    const out: number[] = [];
    for (const e of entries) if (e.side === side) for (const c of e.text) if (c === ch) out.push(e.t);
    return out;
  };
  return {
    boots: times(GUEST_LAYOUT.bootChar),
    passes: times(GUEST_LAYOUT.passChar),
    ...(disk && {
      diskErrors: times(DISK_LAYOUT.errorChar),
      zeroReads: times(DISK_LAYOUT.zeroChar),
      badReads: times(DISK_LAYOUT.badChar),
    }),
  };
}

/**
 * The QEMU versions that really ran the guest, for the certificate: both when source and
 * destination differ (an upgrade), else the one (which may not be the driver's default).
 */
function emulatorVersions(identity: GuestIdentity): Record<string, string> {
  const { source, destination } = identity.emulators;
  if (source && destination && source !== destination)
    return { 'qemu (source)': source, 'qemu (destination)': destination };
  const only = source ?? destination;
  return only ? { qemu: only } : {};
}
