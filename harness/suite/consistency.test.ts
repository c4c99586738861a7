import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JUDGES } from '../judging/index.ts';
import { findRequirement, REQUIREMENTS } from '../requirements/catalog.ts';
import { loadScenario } from '../scenario/load.ts';
import { findDisagreements, type Declarations, type ScenarioDeclaration } from './consistency.ts';
import { collectPlans, type Plan } from './verify.ts';

const ROOT = join(import.meta.dirname, '../..');

// Read once: a suite file declares its plans when first imported, and modules are imported once.
let read: Promise<Declarations> | undefined;
const declarations = (): Promise<Declarations> => (read ??= readDeclarations());

async function readDeclarations(): Promise<Declarations> {
  const suites = new Map<string, Plan[]>();
  for (const file of readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith('.test.ts'))) {
    suites.set(file.replace(/\.test\.ts$/, ''), await collectPlans(() => import(join(ROOT, 'suites', file))));
  }
  const dir = join(ROOT, 'scenarios');
  const scenarios = new Map<string, ScenarioDeclaration>();
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'))) {
    const { scenario } = await loadScenario(join(dir, file), (id) => findRequirement(id) !== undefined);
    scenarios.set(relative(dir, join(dir, file)), {
      judges: [...scenario.judges],
      repro: scenario.repro,
      steps: scenario.steps.map((s) => s.do),
    });
  }
  return { catalogue: REQUIREMENTS, judged: Object.keys(JUDGES), suites, scenarios };
}

describe('catalogue, judges, suites and scenarios', () => {
  it('agree', async () => {
    expect(findDisagreements(await declarations())).toEqual([]);
  });

  it('each kind of disagreement is found and said', async () => {
    const real = await declarations();
    const suites = new Map(real.suites);
    suites.set('mig', [
      ...(real.suites.get('mig') ?? []).filter((p) => p.id !== 'MIG-07'),
      { id: 'MIG-06', scenarios: ['mig/precopy.yaml', 'mig/gone.yaml'] },
    ]);
    const scenarios = new Map(real.scenarios);
    scenarios.set('p2p/own-host.yaml', { judges: ['P2P-05', 'XYZ-01'], repro: true, steps: [] });
    scenarios.set('mig/cancel.yaml', { judges: ['MIG-06'], repro: false, steps: ['start', 'migrate', 'check-memory'] });
    // V3-INV as if it had no judge: the suite that verifies it is told so.
    const found = findDisagreements({
      ...real,
      judged: [...real.judged.filter((id) => id !== 'V3-INV'), 'MIG-99'],
      suites,
      scenarios,
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'a judge judges MIG-99, which the catalogue does not list',
        'suites/mig.test.ts verifies MIG-06 2 times (once is right)',
        'suites/mig.test.ts verifies MIG-07 0 times (once is right)',
        'scenarios/mig/precopy.yaml is played for MIG-06 but does not list it in judges',
        'suites/mig.test.ts: MIG-06 plays scenarios/mig/gone.yaml, which does not exist',
        'scenarios/mig/unreachable.yaml judges MIG-07, but no suite plays it for MIG-07 (verify it, or mark the scenario repro: true)',
        'scenarios/p2p/own-host.yaml is marked repro, yet suites/p2p.test.ts plays it',
        'scenarios/p2p/own-host.yaml judges XYZ-01, which has no judge',
        'suites/v3.test.ts verifies V3-INV, which has no judge',
        'scenarios/mig/cancel.yaml migrates but does not judge MIG-08, which every migration is judged on',
        "scenarios/mig/cancel.yaml migrates but keeps no watch after it (add a 'settle' step before its memory and disk checks)",
      ]),
    );
  });
});
