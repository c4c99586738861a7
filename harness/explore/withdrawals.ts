import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import type { PremiseSwitch } from '../hosts/emulated/bugs.ts';
import type { PremiseId } from '../requirements/premises.ts';

// How the premise matrix (`cutover premises`) takes each premise away: a change to the
// scenario (a step removed, a setting changed) and, where no scenario can say it, a switch
// of the emulated target. Played so, a requirement that stands on the premise must not pass:
// its judge must say it cannot judge, naming the premise.

export interface Withdrawal {
  /** What the variant does, for the matrix's table. */
  readonly does: string;
  /** Emulated-target switches to turn on (hosts/emulated/bugs.ts PREMISE_SWITCHES). */
  readonly switches?: ReadonlyArray<PremiseSwitch>;
  /** Changes the scenario so the premise cannot hold; NotApplicable where it has nothing to change. */
  readonly edit?: (scenario: ScenarioEdit) => void;
}

/** The scenario has nothing this withdrawal could take away. */
export class NotApplicable extends Error {
  override name = 'NotApplicable';
}

type Match = Readonly<Record<string, string | number | boolean>>;

/** A scenario file's YAML, edited step by step with its comments and layout kept. */
export class ScenarioEdit {
  readonly doc: Document;

  constructor(text: string) {
    this.doc = parseDocument(text);
  }

  private get items(): unknown[] {
    const steps = this.doc.get('steps');
    if (!isSeq(steps)) throw new NotApplicable('the scenario has no steps');
    return (steps as YAMLSeq).items;
  }

  /** Indices of the steps whose fields equal every field of `match`. */
  find(match: Match): number[] {
    return this.items.flatMap((item, i) =>
      isMap(item) && Object.entries(match).every(([k, v]) => (item as YAMLMap).get(k) === v) ? [i] : [],
    );
  }

  /** Removes the matching steps (at least one must match). */
  remove(...matches: Match[]): void {
    if (!this.removeAny(...matches))
      throw new NotApplicable(`no step ${matches.map((m) => JSON.stringify(m)).join(' or ')}`);
  }

  /** Removes the matching steps, if any; how many it removed. */
  removeAny(...matches: Match[]): number {
    const found = [...new Set(matches.flatMap((m) => this.find(m)))].sort((a, b) => b - a);
    for (const i of found) this.items.splice(i, 1);
    return found.length;
  }

  /** Sets a field (a path into the step) on every matching step. */
  set(match: Match, path: ReadonlyArray<string>, value: unknown): void {
    const found = this.find(match);
    if (!found.length) throw new NotApplicable(`no step ${JSON.stringify(match)}`);
    for (const i of found) (this.items[i] as YAMLMap).setIn(path, this.doc.createNode(value));
  }

  /** Deletes a field from every matching step that has it (one at least). */
  unset(match: Match, key: string): void {
    const found = this.find(match).filter((i) => (this.items[i] as YAMLMap).has(key));
    if (!found.length) throw new NotApplicable(`no step ${JSON.stringify(match)} with ${key}`);
    for (const i of found) (this.items[i] as YAMLMap).delete(key);
  }

  /** Inserts a step before the first step matching `before`. */
  insertBefore(before: Match, step: Record<string, unknown>): void {
    const at = this.find(before)[0];
    if (at === undefined) throw new NotApplicable(`no step ${JSON.stringify(before)}`);
    const node = this.doc.createNode(step);
    node.flow = true;
    this.items.splice(at, 0, node);
  }

  /** Inserts a step after the first step matching `after` (or first, when none is given). */
  insertAfter(after: Match | undefined, step: Record<string, unknown>): void {
    const at = after ? this.find(after)[0] : -1;
    if (at === undefined) throw new NotApplicable(`no step ${JSON.stringify(after)}`);
    const node = this.doc.createNode(step);
    node.flow = true;
    this.items.splice(at + 1, 0, node);
  }

  hosts(): string[] {
    const hosts = this.doc.get('hosts');
    return isMap(hosts)
      ? (hosts as YAMLMap).items.map((p) => String((p.key as { value?: unknown })?.value ?? p.key))
      : [];
  }

  setIn(path: ReadonlyArray<string>, value: unknown): void {
    this.doc.setIn(path, this.doc.createNode(value));
  }

  getIn(path: ReadonlyArray<string>): unknown {
    const node = this.doc.getIn(path, true);
    return node && typeof node === 'object' && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : node;
  }

  deleteIn(path: ReadonlyArray<string>): void {
    this.doc.deleteIn(path);
  }

  toString(): string {
    return this.doc.toString({ lineWidth: 0 });
  }
}

const faultSteps = (...kinds: string[]): Match[] => kinds.map((kind) => ({ do: 'fault', kind }));

/** A host of its own for a migration that should have stayed on one. */
function toAnotherHost(s: ScenarioEdit): void {
  const elsewhere = 'elsewhere';
  s.setIn(['hosts', elsewhere], {});
  s.set({ do: 'migrate' }, ['to'], elsewhere);
}

/** The guests besides the main one that share the main guest's `field` (its clash), with their steps. */
function removeClashing(s: ScenarioEdit, field: 'uuid' | 'name'): void {
  const mine = s.getIn(['guest', field]);
  const guests = (s.getIn(['guests']) ?? {}) as Record<string, Record<string, unknown>>;
  const clashing = Object.keys(guests).filter((key) => guests[key]?.[field] === mine);
  if (mine === undefined || !clashing.length) throw new NotApplicable(`no guest shares the main guest's ${field}`);
  for (const key of clashing) {
    s.deleteIn(['guests', key]);
    s.remove({ guest: key });
  }
}

/** Every host's worker pool widened, so no call ever waits for a worker. */
function widenPools(s: ScenarioEdit, max: number): void {
  const hosts = s.hosts().filter((h) => s.getIn(['hosts', h, 'workers']) !== undefined);
  if (!hosts.length) throw new NotApplicable('no host has a stated worker pool');
  for (const h of hosts) s.setIn(['hosts', h, 'workers'], { min: 1, max, priority: 1 });
}

/** Each premise, taken away. */
export const WITHDRAWALS: Readonly<Record<PremiseId, Withdrawal>> = {
  'guest-ran': { does: 'the guest says nothing on its serial line (switch silent-guest)', switches: ['silent-guest'] },
  'watched-after-end': { does: 'no settle step', edit: (s) => s.remove({ do: 'settle' }) },
  'converging-setup': {
    does: "the migration keeps the implementation's default bandwidth",
    edit: (s) => s.unset({ do: 'migrate' }, 'maxBandwidth'),
  },
  'cancel-while-active': { does: 'no cancel step', edit: (s) => s.remove({ do: 'cancel' }) },
  'destination-unreachable': {
    does: 'the destination listens and answers',
    edit: (s) => {
      if (s.find({ do: 'migrate', unreachable: true }).length) s.set({ do: 'migrate' }, ['unreachable'], false);
      else s.remove(...faultSteps('silent-port'));
    },
  },
  'same-host': { does: 'the migration goes to another host', edit: toAnotherHost },
  'over-unix-socket': {
    does: 'the migration goes over TCP',
    edit: (s) => s.set({ do: 'migrate' }, ['transport'], 'tcp'),
  },
  'ignore-shared-asked': {
    does: 'x-ignore-shared not asked for',
    edit: (s) => s.set({ do: 'migrate' }, ['ignoreShared'], false),
  },
  'cpr-transfer-asked': { does: 'mode normal, not cpr-transfer', edit: (s) => s.unset({ do: 'migrate' }, 'mode') },
  'new-qemu-failed-after-handover': {
    does: 'the new QEMU is never killed',
    edit: (s) => s.remove({ do: 'fault', kind: 'kill', side: 'destination' }),
  },
  'new-qemu-took-over': {
    does: 'the arrived guest says nothing (switch silent-incoming-guest), killed without waiting for its passes',
    switches: ['silent-incoming-guest'],
    edit: (s) => s.remove({ do: 'wait-progress', side: 'destination' }),
  },
  'old-qemu-watched': {
    does: 'no observe or settle after the new QEMU is killed',
    edit: (s) => s.remove({ do: 'observe' }, { do: 'settle' }),
  },
  'uuid-clash-present': {
    does: 'no guest with the same UUID at the destination',
    edit: (s) => removeClashing(s, 'uuid'),
  },
  'name-clash-present': {
    does: 'no guest of the same name at the destination',
    edit: (s) => removeClashing(s, 'name'),
  },
  'host-uuid-shared': {
    does: 'each host keeps its own host UUID',
    edit: (s) => {
      const shared = s.hosts().filter((h) => s.getIn(['hosts', h, 'hostUuid']) !== undefined);
      if (!shared.length) throw new NotApplicable('no host UUID is set');
      for (const h of shared) s.deleteIn(['hosts', h, 'hostUuid']);
    },
  },
  'three-uuid-cases': {
    does: 'the migration with no UUID at the destination is not asked for',
    edit: (s) => s.remove({ do: 'migrate', guest: 'unset' }, { do: 'wait-migration', guest: 'unset' }),
  },
  'one-worker-per-daemon': { does: 'two workers per daemon', edit: (s) => widenPools(s, 2) },
  'migrations-crossed': {
    does: 'the second migration is asked for only once the first ended',
    edit: (s) =>
      s.insertAfter(
        { do: 'migrate' },
        { do: 'wait-migration', status: ['completed', 'failed', 'cancelled'], within: '60s' },
      ),
  },
  'more-migrations-than-workers': { does: 'as many workers as migrations', edit: (s) => widenPools(s, 8) },
  'pools-dry-at-calls': { does: 'eight workers per daemon', edit: (s) => widenPools(s, 8) },
  'daemon-frozen-mid-migration': {
    does: 'the target daemon is never frozen',
    edit: (s) => s.remove(...faultSteps('freeze-daemon', 'pause-host', 'thaw-daemon', 'resume-host')),
  },
  'own-host-target': { does: 'the migration goes to another host', edit: toAnotherHost },
  'client-connected': {
    does: 'no SPICE client (nor the faults that act on one)',
    edit: (s) => {
      s.remove({ do: 'spice-client' });
      s.removeAny(...faultSteps('stall-client', 'resume-client', 'kill-client'));
    },
  },
  'client-held': {
    does: 'the client is sent to the destination, which it can reach',
    edit: (s) => s.set({ do: 'migrate' }, ['spice'], 'destination'),
  },
  'client-stalled': {
    does: 'the client is never stalled',
    edit: (s) => s.remove(...faultSteps('stall-client', 'resume-client')),
  },
  'no-client': {
    does: 'a SPICE client connects before the migration',
    edit: (s) => s.insertAfter({ do: 'wait-progress' }, { do: 'spice-client' }),
  },
  'cancelled-before-handover': { does: 'no cancel step', edit: (s) => s.remove({ do: 'cancel' }) },
  'source-killed-in-postcopy': {
    does: 'the source is never killed',
    edit: (s) => s.remove({ do: 'fault', kind: 'kill', side: 'source' }),
  },
  'link-cut-in-postcopy': {
    does: 'the link is never cut',
    edit: (s) => s.remove(...faultSteps('cut-link', 'blackhole-link', 'heal-link')),
  },
  'recovery-asked': { does: 'no recover step', edit: (s) => s.remove({ do: 'recover' }) },
  'source-killed-before-cutover': {
    does: 'the source is never killed',
    edit: (s) => s.remove({ do: 'fault', kind: 'kill', side: 'source' }),
  },
  'destination-killed-before-cutover': {
    does: 'the destination is never killed',
    edit: (s) => s.remove({ do: 'fault', kind: 'kill', side: 'destination' }),
  },
  'source-killed-after-cutover': {
    does: 'the source is never killed',
    edit: (s) => s.remove({ do: 'fault', kind: 'kill', side: 'source' }),
  },
  'stream-unfinished-at-loss': {
    does: 'the source is killed only once the disk was streamed in full',
    edit: (s) =>
      s.insertBefore(
        { do: 'fault', kind: 'kill', side: 'source' },
        { do: 'wait-event', side: 'destination', event: 'BLOCK_JOB_COMPLETED', within: '120s' },
      ),
  },
  'mirror-in-flight-at-loss': {
    does: 'the destination is killed only once the mirror and the migration ended',
    edit: (s) =>
      s.insertBefore(
        { do: 'fault', kind: 'kill', side: 'destination' },
        { do: 'wait-migration', status: ['completed', 'failed', 'cancelled'], within: '120s' },
      ),
  },
  'refusal-armed': {
    does: 'the destination is never told to refuse',
    edit: (s) => s.remove(...faultSteps('refuse-prepare')),
  },
  'link-cut-in-perform': {
    does: 'the link is never cut',
    edit: (s) => s.remove(...faultSteps('cut-link', 'blackhole-link', 'heal-link')),
  },
  'killed-between-transfer-and-finish': {
    does: 'the destination is never killed',
    edit: (s) => s.remove({ do: 'fault', kind: 'kill', side: 'destination' }, { do: 'fault', kind: 'restart-daemon' }),
  },
  'source-daemon-restarted-in-perform': {
    does: "the source's daemon is never restarted",
    edit: (s) => s.remove(...faultSteps('restart-daemon')),
  },
  'must-succeed-failed': {
    does: 'the client is sent to the destination, which it can reach',
    edit: (s) => s.set({ do: 'migrate' }, ['spice'], 'destination'),
  },
  'fault-struck': { does: 'no fault at all', edit: (s) => s.remove({ do: 'fault' }) },
};

/**
 * A scenario's text with the premise taken away, and the switches to play it with. Its name
 * stays: sockets are named after it, and UNIX socket paths are short.
 */
export function withdraw(
  premise: PremiseId,
  text: string,
): { readonly text: string; readonly switches: ReadonlyArray<PremiseSwitch> } {
  const withdrawal = WITHDRAWALS[premise];
  const edit = new ScenarioEdit(text);
  withdrawal.edit?.(edit);
  edit.setIn(
    ['description'],
    `${String(edit.getIn(['description']) ?? '').trim()} (Premise ${premise} withdrawn: ${withdrawal.does}.)`,
  );
  return { text: edit.toString(), switches: withdrawal.switches ?? [] };
}
