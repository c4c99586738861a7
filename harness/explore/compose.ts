import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { describeSchedule, type PlannedPlacement, type Role, type Schedule, type ScheduledFault } from './schedule.ts';

// A schedule written into its base scenario, as a scenario file anyone can replay with
// `cutover scenario`: the faults, placed, just before the migrate step (a placed fault is
// armed at once and waits for its moment), and what heals them (a cut link) after the first
// observe that follows the wait for the migration's end, so inventories can reach every host.

export interface Composition {
  readonly name: string;
  /** Why this file exists, in its description: the seed, the run, what the schedule does. */
  readonly provenance: string;
}

/** The name of a scenario derived from a base one (`v3-explore-base` -> `v3-explore-<suffix>`). */
export const derivedName = (baseName: string, suffix: string): string => `${baseName.replace(/-base$/, '')}-${suffix}`;

export function composeScenario(baseText: string, schedule: Schedule, composition: Composition): string {
  const doc = parseDocument(baseText);
  const steps = doc.get('steps');
  if (!isSeq(steps)) throw new Error('the base scenario has no steps');
  const items = (steps as YAMLSeq).items;
  const doOf = (item: unknown): unknown => (isMap(item) ? (item as YAMLMap).get('do') : undefined);
  const migrateAt = items.findIndex((item) => doOf(item) === 'migrate');
  if (migrateAt < 0) throw new Error('the base scenario has no migrate step');
  const migrate = items[migrateAt] as YAMLMap;
  const source = String(doc.getIn(['guest', 'on']));
  const destination = String(migrate.get('to'));
  const hostOf = (role: Role): string => (role === 'source' ? source : destination);
  const flow = (value: object) => {
    const node = doc.createNode(value);
    node.flow = true;
    return node;
  };
  items.splice(migrateAt, 0, ...schedule.map((fault) => flow(faultStep(fault, hostOf))));
  const healAt = items.findIndex((item, i) => i > migrateAt + schedule.length && doOf(item) === 'observe');
  if (schedule.some((f) => f.kind === 'cut-link'))
    items.splice(healAt < 0 ? items.length : healAt + 1, 0, flow({ do: 'fault', kind: 'heal-link' }));
  doc.set('name', composition.name);
  doc.set('description', `${composition.provenance}: ${describeSchedule(schedule)}.`);
  // Flow items stay on one line each (a long one would be folded over several).
  return doc.toString({ lineWidth: 0 });
}

function faultStep(fault: ScheduledFault, hostOf: (role: Role) => string): Record<string, unknown> {
  const at = placement(fault.at);
  switch (fault.kind) {
    case 'kill':
      return { do: 'fault', kind: 'kill', side: fault.side, at };
    case 'cut-link':
      return { do: 'fault', kind: 'cut-link', at };
    case 'refuse-prepare':
      return { do: 'fault', kind: 'refuse-prepare', host: hostOf('destination'), at };
    case 'restart-daemon':
      return { do: 'fault', kind: 'restart-daemon', host: hostOf(fault.host), signal: fault.signal, at };
  }
}

function placement(at: PlannedPlacement): Record<string, unknown> {
  if ('after' in at) return { after: `${at.after}ms` };
  if ('phase' in at) return { phase: at.phase, side: at.side };
  return { status: at.status, side: at.side };
}
