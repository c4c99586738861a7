import { describe, expect, it } from 'vitest';
import { REQUIREMENTS } from '../requirements/catalog.ts';
import { matrixProblems, matrixTable, mutationMatrix, type PlayedResult } from './mutation-matrix.ts';

const pass = (id: string): PlayedResult => ({ id, verdict: 'pass', reason: 'held' });
const fail = (id: string): PlayedResult => ({ id, verdict: 'fail', reason: 'broke' });

describe('mutation matrix', () => {
  it('a requirement passing on the correct target and failing on a variant is killed', () => {
    const rows = mutationMatrix([
      {
        target: 'qemu',
        correct: [pass('MIG-01')],
        variants: [{ variant: 'no-setup-event', results: [fail('MIG-01')] }],
      },
    ]);
    expect(rows.map((r) => [r.requirement.id, r.state, r.killedBy])).toEqual([
      ['MIG-01', 'killed', ['no-setup-event']],
    ]);
    expect(matrixProblems(rows)).toEqual([]);
  });
  it('one that no variant makes fail survived: a check that cannot fail is a problem', () => {
    const rows = mutationMatrix([
      {
        target: 'qemu',
        correct: [pass('MIG-01'), pass('MIG-02')],
        variants: [{ variant: 'no-setup-event', results: [pass('MIG-01')] }],
      },
    ]);
    expect(rows.map((r) => r.state)).toEqual(['survived', 'survived']);
    expect(matrixProblems(rows)).toEqual([
      'MIG-01: no bug variant made it fail (played against no-setup-event)',
      'MIG-02: no bug variant made it fail (no variant declares it breaks it)',
    ]);
  });
  it('one that fails on the correct target is a false alarm; one skipped there is not judged', () => {
    const rows = mutationMatrix([
      {
        target: 'qemu',
        correct: [fail('MIG-05'), { id: 'P2P-01', verdict: 'skipped', reason: 'needs daemon-pools' }],
        variants: [],
      },
    ]);
    expect(rows.map((r) => r.state)).toEqual(['false-alarm', 'not-judged']);
    expect(matrixProblems(rows)).toEqual(['MIG-05: fail on the correct emulated target: broke']);
  });
  it('over two targets: judged where one passes it, killed only by variants played where it passed', () => {
    const rows = mutationMatrix([
      {
        target: 'qemu',
        correct: [fail('SHU-01'), { id: 'P2P-01', verdict: 'skipped', reason: 'no daemons' }],
        variants: [{ variant: 'stale', results: [fail('SHU-01')] }],
      },
      {
        target: 'emulated',
        correct: [pass('SHU-01'), pass('P2P-01')],
        variants: [
          { variant: 'deadlocks', results: [fail('P2P-01')] },
          { variant: 'stale', results: [pass('SHU-01')] },
        ],
      },
    ]);
    expect(rows.map((r) => [r.requirement.id, r.target, r.state, r.killedBy, r.survivedBy])).toEqual([
      ['SHU-01', 'emulated', 'survived', [], ['stale@emulated']],
      ['P2P-01', 'emulated', 'killed', ['deadlocks@emulated'], []],
    ]);
  });
  it('prints one row per played requirement, in catalogue order, and the counts', () => {
    const lines = matrixTable(
      mutationMatrix([
        {
          target: 'qemu',
          correct: [pass('MIG-02'), pass('MIG-01')],
          variants: [{ variant: 'v', results: [fail('MIG-01'), fail('MIG-02')] }],
        },
      ]),
    );
    expect(lines[0]).toMatch(/^requirement\s+correct\s+on\s+state\s+killed by/);
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual(['MIG-01', 'MIG-02']);
    expect(lines.at(-1)).toBe('2 requirements: 2 killed, 0 survived, 0 false-alarm, 0 not-judged');
    expect(REQUIREMENTS.findIndex((r) => r.id === 'MIG-01')).toBeLessThan(
      REQUIREMENTS.findIndex((r) => r.id === 'MIG-02'),
    );
  });
});
