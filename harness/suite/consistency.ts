// One source of truth for requirement IDs: the catalogue. Judges, suites and scenarios must
// agree with it and with each other; harness/suite/consistency.test.ts fails on what this finds.
import type { Requirement } from '../requirements/catalog.ts';
import type { Plan } from './verify.ts';

export interface Declarations {
  readonly catalogue: ReadonlyArray<Requirement>;
  /** IDs that have a judge. */
  readonly judged: ReadonlyArray<string>;
  /** Each suite file's plans, by family name (suites/<family>.test.ts). */
  readonly suites: ReadonlyMap<string, ReadonlyArray<Plan>>;
  /** Each scenario by its path under scenarios/. */
  readonly scenarios: ReadonlyMap<string, ScenarioDeclaration>;
}

export interface ScenarioDeclaration {
  readonly judges: ReadonlyArray<string>;
  readonly repro: boolean;
  /** Its step kinds, in order. */
  readonly steps: ReadonlyArray<string>;
}

/** Every place where the declarations disagree, one line each; empty when they agree. */
export function findDisagreements(d: Declarations): string[] {
  const out: string[] = [];
  const catalogued = new Set(d.catalogue.map((r) => r.id));
  const judged = new Set(d.judged);
  for (const id of d.judged)
    if (!catalogued.has(id)) out.push(`a judge judges ${id}, which the catalogue does not list`);
  const played = new Set<string>();
  for (const [family, plans] of d.suites) {
    const ids = d.catalogue.filter((r) => r.family === family).map((r) => r.id);
    if (!ids.length) out.push(`suites/${family}.test.ts: no catalogued family '${family}'`);
    for (const id of ids) {
      const count = plans.filter((p) => p.id === id).length;
      // A requirement with no judge yet is 'not implemented' on the certificate; a suite must not play it.
      if (!judged.has(id)) {
        if (count) out.push(`suites/${family}.test.ts verifies ${id}, which has no judge`);
        continue;
      }
      if (count !== 1) out.push(`suites/${family}.test.ts verifies ${id} ${count} times (once is right)`);
    }
    for (const plan of plans) {
      if (!ids.includes(plan.id))
        out.push(`suites/${family}.test.ts verifies ${plan.id}, which is not of family ${family}`);
      for (const file of plan.scenarios) {
        played.add(`${file} ${plan.id}`);
        const scenario = d.scenarios.get(file);
        if (!scenario) out.push(`suites/${family}.test.ts: ${plan.id} plays scenarios/${file}, which does not exist`);
        else if (!scenario.judges.includes(plan.id))
          out.push(`scenarios/${file} is played for ${plan.id} but does not list it in judges`);
        else if (scenario.repro) out.push(`scenarios/${file} is marked repro, yet suites/${family}.test.ts plays it`);
      }
    }
  }
  const invariants = d.catalogue.filter((r) => r.everyMigration).map((r) => r.id);
  const playedAtAll = new Set([...played].map((p) => p.split(' ')[0]));
  for (const [file, scenario] of d.scenarios) {
    for (const id of scenario.judges) {
      // An invariant is judged wherever its scenario is played, for whichever requirement.
      const isPlayed = invariants.includes(id) ? playedAtAll.has(file) : played.has(`${file} ${id}`);
      if (!judged.has(id)) out.push(`scenarios/${file} judges ${id}, which has no judge`);
      else if (!scenario.repro && !isPlayed)
        out.push(
          `scenarios/${file} judges ${id}, but no suite plays it for ${id} (verify it, or mark the scenario repro: true)`,
        );
    }
    const migrates = scenario.steps.indexOf('migrate');
    if (migrates < 0) continue;
    for (const id of invariants)
      if (!scenario.judges.includes(id))
        out.push(`scenarios/${file} migrates but does not judge ${id}, which every migration is judged on`);
    if (scenario.steps.indexOf('settle', migrates) < 0)
      out.push(
        `scenarios/${file} migrates but keeps no watch after it (add a 'settle' step before its memory and disk checks)`,
      );
  }
  return out;
}
