// Test helpers: observations recorded from real runs (fixtures/), loaded as mutable copies so
// a test can break exactly the behaviour a judge looks at.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '../observation/types.ts';
import { decide, type Judge } from './index.ts';

export type Mutable<T> = {
  -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U>
    ? U extends object
      ? Mutable<U>[]
      : U[]
    : T[K] extends object | undefined
      ? Mutable<T[K]>
      : T[K];
};

export const fixture = (name: string): Mutable<Observation> =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.json`), 'utf8'));

/** A judge as the runner calls it: premises first, evidence the implementation took away a fail. */
export const judge =
  (id: string): Judge =>
  (obs) =>
    decide(id, obs);

export const verdictOf = (id: string, obs: Mutable<Observation>): string => judge(id)(obs as Observation).verdict;

/**
 * A recording of cutover's qemu driver, read as if a management layer under test had done
 * what it did: for judges that skip what the qemu driver decides itself (selfJudged).
 */
export const underTest = <T extends Mutable<Observation>>(obs: T): T => {
  obs.driver.capabilities = [...obs.driver.capabilities, 'management-layer'];
  return obs;
};
