import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { JUDGES } from '../judging/index.ts';
import { FAMILIES, findRequirement, isFamily, REQUIREMENTS, type Family, type Requirement } from '../requirements/catalog.ts';
import { UsageError } from '../util/errors.ts';

export interface Selection {
  readonly requirements: ReadonlyArray<Requirement>;
  /** Suite files to run, relative to the project root. */
  readonly suiteFiles: ReadonlyArray<string>;
}

const suiteFile = (family: Family): string => join('suites', `${family}.test.ts`);

/** Families with a suite in this version of cutover. */
export function implementedFamilies(root: string): Family[] {
  return (Object.keys(FAMILIES) as Family[]).filter((f) => existsSync(join(root, suiteFile(f))));
}

/** Turns --family and --requirement into the requirements to judge, or a UsageError. */
export function selectRequirements(root: string, families: ReadonlyArray<string>, ids: ReadonlyArray<string>): Selection {
  const available = implementedFamilies(root);
  const wantedFamilies = families.map((raw) => {
    const name = raw.trim().toLowerCase();
    if (!isFamily(name)) throw new UsageError(`unknown family '${raw}'`, `families are ${Object.keys(FAMILIES).join(', ')}`);
    if (!available.includes(name)) throw new UsageError(`family '${name}' has no suite in this version yet`, `available: ${available.join(', ')}`);
    return name;
  });
  const wantedIds = ids.map((raw) => {
    const requirement = findRequirement(raw.trim());
    if (!requirement) throw new UsageError(`unknown requirement ID '${raw}'`, 'see `npx cutover list`');
    if (!JUDGES[requirement.id] || !available.includes(requirement.family)) {
      throw new UsageError(`requirement ${requirement.id} has no check in this version yet`, `available families: ${available.join(', ')}`);
    }
    return requirement;
  });
  const byFamily = wantedFamilies.length || wantedIds.length ? wantedFamilies : available;
  const chosen = REQUIREMENTS.filter(
    (r) => JUDGES[r.id] && (byFamily.includes(r.family) || wantedIds.some((w) => w.id === r.id)),
  );
  // --family and --requirement together narrow: the IDs must lie in the families.
  const requirements = wantedFamilies.length && wantedIds.length ? chosen.filter((r) => wantedIds.some((w) => w.id === r.id) && wantedFamilies.includes(r.family)) : chosen;
  if (requirements.length === 0) throw new UsageError('nothing to run: the requirements given lie outside the families given');
  const suiteFiles = [...new Set(requirements.map((r) => suiteFile(r.family)))];
  return { requirements, suiteFiles };
}

/** A vitest name filter that matches exactly these IDs (test names start with the ID). */
export function namePattern(requirements: ReadonlyArray<Requirement>): RegExp {
  return new RegExp(`(?:^|\\s)(?:${requirements.map((r) => r.id.replace(/[-]/g, '\\-')).join('|')})\\s`);
}
