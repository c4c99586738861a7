import { describe, expect, it } from 'vitest';
import { findRequirement } from '../../requirements/catalog.ts';
import { EMULATED_BUGS, EMULATED_BUG_IDS } from './bugs.ts';

describe('emulated bug variants', () => {
  it('each breaks at least one requirement of the catalogue, named by its ID', () => {
    for (const id of EMULATED_BUG_IDS) {
      expect(EMULATED_BUGS[id].breaks.length, id).toBeGreaterThan(0);
      for (const requirement of EMULATED_BUGS[id].breaks)
        expect(findRequirement(requirement), `${id} breaks ${requirement}`).toBeDefined();
    }
  });
});
