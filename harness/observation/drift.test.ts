import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Observation } from './types.ts';
import { drift, sideSequence } from './drift.ts';

const recorded = (name: string): Observation =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../judging/fixtures', `${name}.json`), 'utf8')) as Observation;

describe('drift between a real and an emulated run', () => {
  it("reads each side's order of statuses, STOP and RESUME, without MIGRATION_PASS", () => {
    const precopy = recorded('qemu-7.2-precopy');
    expect(sideSequence(precopy, 'source')).toEqual(['setup', 'active', 'STOP', 'completed']);
    expect(sideSequence(precopy, 'destination')).toEqual(['setup', 'active', 'RESUME', 'completed', 'STOP']);
    expect(drift(precopy, recorded('qemu-7.2-precopy'))).toEqual([]);
  });
  it('finds a status out of order, another ending and a QEMU that ended differently', () => {
    const real = recorded('qemu-7.2-cancel');
    const emulated: Observation = {
      ...real,
      events: real.events.filter((e) => e.migrationStatus !== 'cancelling'),
      exits: { ...real.exits, destination: { code: 0, signal: null, t: 1 } },
      migration: { ...real.migration!, final: { status: 'failed' } },
    };
    expect(drift(real, emulated)).toEqual([
      'source events: real setup -> active -> cancelling -> cancelled -> STOP; emulated setup -> active -> cancelled -> STOP',
      'destination QEMU: real exit 1; emulated exit 0',
      'final status: real cancelled; emulated failed',
    ]);
  });
});
