// MIG: baseline pre-copy migration. Every family builds on it.
import { family, verify } from '../harness/suite/verify.ts';

family('MIG: baseline pre-copy', () => {
  verify('MIG-01', 'mig/precopy.yaml');
  verify('MIG-02', 'mig/precopy.yaml');
  verify('MIG-03', 'mig/precopy.yaml');
  verify('MIG-04', 'mig/precopy.yaml');
  verify('MIG-05', 'mig/precopy.yaml');
  verify('MIG-06', 'mig/cancel.yaml');
  // Nothing listens (refused at once), and a silent host (connection attempts unanswered).
  verify('MIG-07', ['mig/unreachable.yaml', 'mig/silent-destination.yaml']);
  verify('MIG-08', 'mig/precopy.yaml');
});
