import { BUILT_IN_TARGETS, loadDriver } from '../drivers/load.ts';
import { FAULTS, PLACEMENTS, unsupportedBecause } from '../faults/index.ts';
import { hostProvider } from '../hosts/index.ts';
import { REQUIREMENTS } from '../requirements/catalog.ts';
import { monotonicClock } from '../util/clock.ts';

/** `cutover list`: one line per requirement, ID<TAB>title. */
export function requirementLines(): string[] {
  return REQUIREMENTS.map((r) => `${r.id}\t${r.title}`);
}

/** `cutover list --premises`: each requirement, then what must have happened for it to be judged. */
export function premiseLines(): string[] {
  return REQUIREMENTS.flatMap((r) => [`${r.id}\t${r.title}`, ...r.premises.map((p) => `  premise ${p.id}: ${p.text}`)]);
}

/**
 * `cutover list --faults`: the fault catalogue: each kind, what it does, what it targets,
 * where it can be placed, and which built-in drivers and hosts can strike it.
 */
export async function faultCatalogue(): Promise<string[]> {
  const targets = await Promise.all(
    BUILT_IN_TARGETS.map(async (t) => {
      const driver = (await loadDriver(t.driver))({ clock: monotonicClock, log: () => {}, options: {} });
      return {
        label: `${t.driver}/${t.hosts}`,
        capabilities: driver.capabilities,
        features: hostProvider({ kind: t.hosts, image: 'bookworm' }).features,
      };
    }),
  );
  const rows = FAULTS.map((fault) => {
    const supported = targets.filter((t) => !unsupportedBecause(fault, t.capabilities, t.features)).map((t) => t.label);
    return [fault.kind, fault.target, fault.summary, supported.join(', ') || 'none built in'];
  });
  const header = ['KIND', 'TARGET', 'WHAT IT DOES', 'SUPPORTED BY (driver/hosts)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [
    line(header),
    ...rows.map(line),
    '',
    'Every fault is placed with `at:` (scenario step `do: fault`):',
    ...Object.entries(PLACEMENTS).map(([name, text]) => `  ${name.padEnd(7)} ${text}`),
  ];
}
