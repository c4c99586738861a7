// SPICE: client handover during migration, and how long the source is kept for it (seeds 000, 004).
import { describe } from 'vitest';
import { needsSpice } from '../harness/judging/preconditions.ts';
import { verify } from '../harness/judging/suite.ts';

describe('SPICE: client handover', () => {
  verify('SPICE-01', 'spice/seamless.yaml', needsSpice);
  verify('SPICE-02', 'spice/unreachable-target.yaml', needsSpice);
  verify('SPICE-03', 'spice/unreachable-target.yaml', needsSpice);
  verify('SPICE-04', 'spice/no-client.yaml', needsSpice);
  verify('SPICE-05', 'spice/stalled-client.yaml', needsSpice);
  verify('SPICE-06', 'spice/cancelled.yaml', needsSpice);
});
