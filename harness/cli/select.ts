import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { JUDGES } from '../judging/index.ts';
import {
  FAMILY_NAMES,
  findRequirement,
  isFamily,
  REQUIREMENTS,
  type Family,
  type Requirement,
} from '../requirements/catalog.ts';
import { UsageError } from '../util/errors.ts';

export interface Selection {
  /** Every catalogued requirement selected: the certificate lists them all. */
  readonly requirements: ReadonlyArray<Requirement>;
  /** Those this version can judge (a judge and a suite); the others are 'not implemented'. */
  readonly judged: ReadonlyArray<Requirement>;
  /** Suite files to run, relative to the project root. */
  readonly suiteFiles: ReadonlyArray<string>;
}

const suiteFile = (family: Family): string => join('suites', `${family}.test.ts`);

/** Families with a suite in this version of cutover. */
export function implementedFamilies(root: string): Family[] {
  return FAMILY_NAMES.filter((f) => existsSync(join(root, suiteFile(f))));
}

/** Turns --family and --requirement into the requirements to certify, or a UsageError. */
export function selectRequirements(
  root: string,
  families: ReadonlyArray<string>,
  ids: ReadonlyArray<string>,
): Selection {
  const available = implementedFamilies(root);
  const wantedFamilies = families.map((raw) => {
    const name = raw.trim().toLowerCase();
    if (!isFamily(name)) throw new UsageError(`unknown family '${raw}'`, `families are ${FAMILY_NAMES.join(', ')}`);
    return name;
  });
  const wantedIds = ids.map((raw) => {
    const requirement = findRequirement(raw.trim());
    if (!requirement) throw new UsageError(`unknown requirement ID '${raw}'`, 'see `npx cutover list`');
    return requirement;
  });
  const byFamily = wantedFamilies.length || wantedIds.length ? wantedFamilies : FAMILY_NAMES;
  const chosen = REQUIREMENTS.filter((r) => byFamily.includes(r.family) || wantedIds.some((w) => w.id === r.id));
  // --family and --requirement together narrow: the IDs must lie in the families.
  const requirements =
    wantedFamilies.length && wantedIds.length
      ? chosen.filter((r) => wantedIds.some((w) => w.id === r.id) && wantedFamilies.includes(r.family))
      : chosen;
  if (requirements.length === 0)
    throw new UsageError('nothing to run: the requirements given lie outside the families given');
  const judged = requirements.filter((r) => JUDGES[r.id] && available.includes(r.family));
  const suiteFiles = [...new Set(judged.map((r) => suiteFile(r.family)))];
  return { requirements, judged, suiteFiles };
}

/** A vitest name filter that matches exactly these IDs (test names start with the ID). */
export function namePattern(requirements: ReadonlyArray<Requirement>): RegExp {
  return new RegExp(`(?:^|\\s)(?:${requirements.map((r) => r.id.replace(/[-]/g, '\\-')).join('|')})\\s`);
}
