import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { namePattern, selectRequirements } from './select.ts';
import { UsageError } from '../util/errors.ts';

const root = resolve(import.meta.dirname, '../..');

describe('requirement selection', () => {
  it('runs every implemented family by default', () => {
    const s = selectRequirements(root, [], []);
    expect(s.requirements.map((r) => r.id)).toContain('MIG-08');
    expect(s.suiteFiles).toContain('suites/mig.test.ts');
  });
  it('narrows to IDs, case-insensitively', () => {
    expect(selectRequirements(root, [], ['mig-06']).requirements.map((r) => r.id)).toEqual(['MIG-06']);
  });
  it('refuses unknown families and IDs with the fix', () => {
    expect(() => selectRequirements(root, ['migx'], [])).toThrow(UsageError);
    expect(() => selectRequirements(root, ['migx'], [])).toThrow(/families are mig, shu/);
    expect(() => selectRequirements(root, [], ['MIG-99'])).toThrow(/unknown requirement ID 'MIG-99'/);
  });
  it('selects a family: its requirements, those judged, its suite', () => {
    const s = selectRequirements(root, ['v3'], []);
    expect(s.requirements.map((r) => r.id)).toEqual(['V3-01', 'V3-02', 'V3-03', 'V3-04', 'V3-05', 'V3-INV']);
    expect(s.judged.map((r) => r.id)).toEqual(['V3-01', 'V3-02', 'V3-03', 'V3-04', 'V3-05', 'V3-INV']);
    expect(s.suiteFiles).toEqual(['suites/v3.test.ts']);
  });
  it('matches test names by ID only', () => {
    const p = namePattern([
      {
        id: 'MIG-01',
        family: 'mig',
        title: '',
        behaviour: '',
        source: '',
        repeat: 1,
        everyMigration: false,
        premises: [],
      },
    ]);
    expect(p.test('MIG: baseline MIG-01 events')).toBe(true);
    expect(p.test('MIG-010 x')).toBe(false);
  });
});
