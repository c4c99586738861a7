// UUID: identity conflicts (seed 001 point 1): a guest keeps its identity, and a destination
// that already holds it refuses the guest.
import { needsHostIdentity, needsRegistry } from '../harness/suite/preconditions.ts';
import { family, verify } from '../harness/suite/verify.ts';

family('UUID: identity conflicts', () => {
  verify('UUID-01', 'uuid/identity.yaml');
  verify('UUID-02', 'uuid/same-uuid-running.yaml', needsRegistry);
  verify('UUID-03', 'uuid/same-name.yaml', needsRegistry);
  verify('UUID-04', 'uuid/shared-host-uuid.yaml', needsHostIdentity);
  verify('UUID-05', 'uuid/validate-uuid.yaml');
});
