import { MIG_01, MIG_02, MIG_03, MIG_04, MIG_05, MIG_06, MIG_07, MIG_08 } from './mig.ts';
import type { Judge } from './verdict.ts';

/** Every requirement cutover can judge, by ID. */
export const JUDGES: Readonly<Record<string, Judge>> = {
  'MIG-01': MIG_01, 'MIG-02': MIG_02, 'MIG-03': MIG_03, 'MIG-04': MIG_04,
  'MIG-05': MIG_05, 'MIG-06': MIG_06, 'MIG-07': MIG_07, 'MIG-08': MIG_08,
};

export * from './verdict.ts';
