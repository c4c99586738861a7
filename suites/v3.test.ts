// V3: failures in each phase of the migration protocol, and their roll-back (seed 002).
import { family, verify, verifyExplored } from '../harness/suite/verify.ts';

family('V3: phase failures and roll-back', () => {
  verify('V3-01', 'v3/prepare-refused.yaml');
  verify('V3-02', 'v3/perform-link-cut.yaml');
  // The destination's QEMU killed, and its daemon killed, between the transfer and Finish.
  verify('V3-03', ['v3/finish-destination-killed.yaml', 'v3/finish-destination-daemon-killed.yaml']);
  // Interrupted (a clean shutdown) and killed: libvirt recovers both from the saved phase.
  verify('V3-04', ['v3/source-daemon-interrupted.yaml', 'v3/source-daemon-killed.yaml']);
  verify('V3-05', 'v3/must-succeed-relocation.yaml');
  // Four generated schedules (one to three faults at phases, statuses or delays), the same each run.
  verifyExplored('V3-INV', 'v3/explore-base.yaml', { seed: 2026, runs: 4 });
});
