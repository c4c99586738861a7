// SPICE: client handover during migration, and how long the source is kept for it (seeds 000, 004).
import { needsSpiceClient } from '../harness/suite/preconditions.ts';
import { family, verify } from '../harness/suite/verify.ts';

family('SPICE: client handover', () => {
  verify('SPICE-01', 'spice/seamless.yaml', needsSpiceClient);
  verify('SPICE-02', 'spice/unreachable-target.yaml', needsSpiceClient);
  verify('SPICE-03', 'spice/unreachable-target.yaml', needsSpiceClient);
  verify('SPICE-04', 'spice/no-client.yaml', needsSpiceClient);
  verify('SPICE-05', 'spice/stalled-client.yaml', needsSpiceClient);
  // Cancelled while active, and while the client still opens its channels to the target.
  verify('SPICE-06', ['spice/cancelled.yaml', 'spice/cancel-during-handshake.yaml'], needsSpiceClient);
});
