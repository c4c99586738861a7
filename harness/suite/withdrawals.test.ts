// Every premise a requirement declares can be taken away from every scenario it is judged on,
// and the scenario stays one cutover can load: the premise matrix never meets a withdrawal
// that does not apply.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRequirement } from '../requirements/catalog.ts';
import { PREMISE_IDS } from '../requirements/premises.ts';
import { parseScenario } from '../scenario/load.ts';
import { collectPlans, type Plan } from './verify.ts';
import { composeScenario } from '../explore/compose.ts';
import { ScenarioEdit, WITHDRAWALS, withdraw } from '../explore/withdrawals.ts';

const ROOT = join(import.meta.dirname, '../..');
const known = (id: string): boolean => findRequirement(id) !== undefined;

async function allPlans(): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const file of readdirSync(join(ROOT, 'suites')).filter((f) => f.endsWith('.test.ts')))
    plans.push(...(await collectPlans(() => import(join(ROOT, 'suites', file)))));
  return plans;
}

describe('premise withdrawals', () => {
  it('one for every premise', () => {
    expect(Object.keys(WITHDRAWALS).sort()).toEqual([...PREMISE_IDS].sort());
  });

  it('apply to every scenario of every requirement that declares the premise, and leave it loadable', async () => {
    const problems: string[] = [];
    for (const plan of await allPlans()) {
      for (const premise of findRequirement(plan.id)?.premises ?? []) {
        for (const file of plan.scenarios) {
          const base = readFileSync(join(ROOT, 'scenarios', file), 'utf8');
          // A fixed exploration plays schedules composed into its base: one stands for them.
          const text = plan.explore
            ? composeScenario(base, [{ kind: 'kill', side: 'destination', at: { status: 'active', side: 'source' } }], {
                name: 'explored',
                provenance: 'a schedule',
              })
            : base;
          try {
            const variant = withdraw(premise.id, text);
            expect(
              variant.text === text && !variant.switches.length,
              `${plan.id} ${premise.id} ${file}: unchanged`,
            ).toBe(false);
            parseScenario(variant.text, file, known);
          } catch (err) {
            problems.push(`${plan.id} without ${premise.id} on ${file}: ${(err as Error).message}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('edits keep the rest of the scenario as written', () => {
    const edit = new ScenarioEdit(
      'name: x\nsteps:\n  - do: start # begin\n  - { do: cancel }\n  - { do: fault, kind: kill, side: source }\n',
    );
    edit.remove({ do: 'cancel' });
    edit.insertBefore({ do: 'fault', kind: 'kill' }, { do: 'observe', for: '1s' });
    expect(edit.toString()).toBe(
      'name: x\nsteps:\n  - do: start # begin\n  - { do: observe, for: 1s }\n  - { do: fault, kind: kill, side: source }\n',
    );
    expect(() => edit.remove({ do: 'recover' })).toThrow(/no step/);
  });
});
