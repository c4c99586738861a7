import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULTS, unsupportedBecause } from './index.ts';

describe('fault registry', () => {
  it('lists every fault folder once, named as its kind', () => {
    const folders = readdirSync(import.meta.dirname, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(FAULTS.map((f) => f.kind).sort()).toEqual(folders.sort());
  });

  it('says what a kind needs that the driver or hosts lack', () => {
    const byKind = (kind: string) => FAULTS.find((f) => f.kind === kind)!;
    expect(unsupportedBecause(byKind('freeze-daemon'), new Set(['postcopy']), new Set())).toBe(
      "fault 'freeze-daemon' needs driver capability 'daemon-pools'",
    );
    expect(unsupportedBecause(byKind('freeze-daemon'), new Set(['daemon-pools']), new Set())).toBeUndefined();
    expect(unsupportedBecause(byKind('cut-link'), new Set(), new Set())).toBe(
      "fault 'cut-link' needs driver capability 'migration-relay' and host feature 'loopback', or host feature 'controls'",
    );
    expect(unsupportedBecause(byKind('silent-port'), new Set(['migration-relay']), new Set(['controls']))).toBe(
      "fault 'silent-port' needs host feature 'loopback'",
    );
    expect(unsupportedBecause(byKind('cut-link'), new Set(), new Set(['controls']))).toBeUndefined();
    expect(unsupportedBecause(byKind('kill'), new Set(), new Set())).toBeUndefined();
  });
});
