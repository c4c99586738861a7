// UUID: identity conflicts (seed 001 point 1): a guest keeps its identity, and a destination
// that already holds it refuses the guest.
import { describe } from 'vitest';
import { needsLibvirtHosts, needsManagementLayer } from '../harness/judging/preconditions.ts';
import { verify } from '../harness/judging/suite.ts';

describe('UUID: identity conflicts', () => {
  verify('UUID-01', 'uuid/identity.yaml');
  verify('UUID-02', 'uuid/same-uuid-running.yaml', needsManagementLayer);
  verify('UUID-03', 'uuid/same-name.yaml', needsManagementLayer);
  verify('UUID-04', 'uuid/shared-host-uuid.yaml', needsLibvirtHosts);
  verify('UUID-05', 'uuid/validate-uuid.yaml');
});
