// SHU: same-host upgrade (seed 001): a guest moves to another QEMU on its own host.
import { needsRegistry } from '../harness/suite/preconditions.ts';
import { family, verify } from '../harness/suite/verify.ts';

family('SHU: same-host upgrade', () => {
  verify('SHU-01', 'shu/same-host.yaml');
  verify('SHU-02', 'shu/upgrade.yaml');
  verify('SHU-03', 'shu/shared-ram.yaml');
  verify('SHU-04', 'shu/cpr-transfer.yaml');
  verify('SHU-05', 'shu/failed-after-handover.yaml');
  verify('SHU-06', 'shu/own-host.yaml', needsRegistry);
});
