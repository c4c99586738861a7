import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleArbitrary, type Schedule } from './schedule.ts';

// explore --jobs draws schedules ahead with fc.sample and plays them at once, then lets
// fc.check ask for them: that is only a gain if both yield the same schedules in the same
// order from one seed (a miss is still correct, only played again).

const target = {
  capabilities: new Set(['protocol-phases', 'refuse-prepare', 'daemon-restart'] as const),
  hostFeatures: new Set(['loopback'] as const),
  phases: { source: ['begin3', 'perform3', 'perform3_done', 'confirm3'], destination: ['prepare', 'finish3'] },
} as const;

describe('schedules drawn ahead', () => {
  it('are the ones fc.check asks for, in its order', async () => {
    const asked: Schedule[] = [];
    const property = fc.asyncProperty(scheduleArbitrary(target as never), async (schedule) => {
      asked.push(schedule);
      return true;
    });
    const drawn = fc.sample(property, { seed: 2026, numRuns: 25, unbiased: true }).map(([schedule]) => schedule);
    await fc.check(property, { seed: 2026, numRuns: 25, unbiased: true });
    expect(asked).toEqual(drawn);
  });
});
