// P2P: peer-to-peer migration and worker-pool exhaustion (seed 001, point 2).
import { needsDaemons } from '../harness/suite/preconditions.ts';
import { family, verify } from '../harness/suite/verify.ts';

family('P2P: peer-to-peer migration and worker-pool exhaustion', () => {
  verify('P2P-01', 'p2p/crossed.yaml', needsDaemons);
  verify('P2P-02', 'p2p/queued.yaml', needsDaemons);
  // Exhausted by a deadlock, or by migrations that hold every worker while they copy.
  verify('P2P-03', ['p2p/crossed.yaml', 'p2p/crossed-busy.yaml'], needsDaemons);
  verify('P2P-04', 'p2p/frozen-target.yaml', needsDaemons);
  // Refused with a spare worker, and with none: the migrate call holds the only one while Prepare queues.
  verify('P2P-05', ['p2p/own-host.yaml', 'p2p/own-host-one-worker.yaml'], needsDaemons);
});
