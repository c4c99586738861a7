// requireMemory: a memory check the implementation made impossible fails the requirement;
// one cutover could not make cannot be judged. On QEMU 7.2's link-cut post-copy recording.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { requireMemory } from './facts.ts';
import { fixture } from './fixture.ts';
import { CannotJudge, Failed } from './verdict.ts';

const unread = (cause: 'deadline' | 'error') => {
  const obs = fixture('qemu-7.2-pcs-link-cut-postcopy');
  delete obs.memory.destination;
  obs.unanswered = [
    {
      t: 70_000,
      look: 'check-memory',
      guest: 'main',
      side: 'destination',
      host: 'beta',
      cause,
      boundMs: 10_000,
      detail: 'pausing the destination guest to read its memory: no answer within 10 s',
    },
  ];
  return obs as Observation;
};

describe('requireMemory', () => {
  it('gives the check when it was made', () => {
    expect(requireMemory(fixture('qemu-7.2-pcs-link-cut-postcopy') as Observation, 'destination').intact).toBe(true);
  });

  it("fails the requirement when the implementation did not answer within the check's bounds", () => {
    expect(() => requireMemory(unread('deadline'), 'destination')).toThrow(
      new Failed(
        "the destination guest's memory could not be read: pausing the destination guest to read its memory: no answer within 10 s (at 70000.0 ms)",
      ),
    );
  });

  it('cannot judge a check that met an error answer, nor one never asked for', () => {
    expect(() => requireMemory(unread('error'), 'destination')).toThrow(CannotJudge);
    const none = unread('deadline');
    expect(() => requireMemory(none, 'source')).toThrow(/has no check-memory step for the source/);
  });
});
