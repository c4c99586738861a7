// UUID judges on what real QEMU 7.2 did (identity kept, validate-uuid), and on broken copies.
// The refusals (UUID-02..04) are judged on libvirt 9.0 observations in refusal.test.ts.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observation/types.ts';
import { fixture, judge, underTest, verdictOf } from './fixture.ts';

const identity = () => underTest(fixture('qemu-7.2-uuid-identity'));
const validate = () => fixture('qemu-7.2-uuid-validate');

describe('UUID judges on real QEMU 7.2 observations', () => {
  it("UUID-01 passes: QEMU at the destination answers with the source's name and UUID", () => {
    expect(verdictOf('UUID-01', identity())).toBe('pass');
  });
  it('UUID-05 passes: another UUID fails the migration, the same UUID and none complete', () => {
    expect(judge('UUID-05')(validate() as Observation).reason).toMatch(/another UUID failed the migration/);
  });
});

describe('UUID judges fail when the behaviour is broken', () => {
  it("UUID-01 skips cutover's own qemu driver: it passes the -uuid it then reads back", () => {
    expect(judge('UUID-01')(fixture('qemu-7.2-uuid-identity') as Observation).verdict).toBe('skipped');
  });

  it('UUID-01 fails when the guest arrives under another UUID or name', () => {
    const renamed = identity();
    const entry = renamed.inventories!.at(-1)!.guests[0]!;
    renamed.inventories!.at(-1)!.guests[0] = { ...entry, uuid: '00000000-0000-4000-8000-000000000000' };
    expect(judge('UUID-01')(renamed as Observation).reason).toMatch(/with UUID 0000/);
    const lost = identity();
    lost.inventories!.at(-1)!.guests.length = 0;
    expect(verdictOf('UUID-01', lost)).toBe('fail');
  });
  it('UUID-05 fails when a differing UUID goes through, or an unset one is refused', () => {
    const unchecked = validate();
    unchecked.migration!.final = { status: 'completed' };
    expect(verdictOf('UUID-05', unchecked)).toBe('fail');
    const strict = validate();
    strict.guests.unset!.migration!.final = { status: 'failed', errorDesc: 'UUID mismatch' };
    expect(verdictOf('UUID-05', strict)).toBe('fail');
  });
});
