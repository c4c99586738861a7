import { describe, expect, it } from 'vitest';
import { FAMILIES, REQUIREMENTS, findRequirement, isFamily } from './catalog.ts';

describe('requirement catalog', () => {
  it('has unique IDs, each prefixed by its family', () => {
    const ids = REQUIREMENTS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of REQUIREMENTS) expect(r.id.toLowerCase().startsWith(`${r.family}-`)).toBe(true);
  });
  it('covers every family and finds IDs case-insensitively', () => {
    for (const f of Object.keys(FAMILIES)) expect(REQUIREMENTS.some((r) => r.family === f)).toBe(true);
    expect(findRequirement('mig-05')?.family).toBe('mig');
    expect(findRequirement('MIG-99')).toBeUndefined();
    expect(isFamily('pcs')).toBe(true);
    expect(isFamily('toString')).toBe(false);
  });
});
