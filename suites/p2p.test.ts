// P2P: peer-to-peer migration and worker-pool exhaustion (seed 001, point 2).
import { describe } from 'vitest';
import { needsLibvirtHosts } from '../harness/judging/preconditions.ts';
import { verify } from '../harness/judging/suite.ts';

describe('P2P: peer-to-peer migration and worker-pool exhaustion', () => {
  verify('P2P-01', 'p2p/crossed.yaml', needsLibvirtHosts);
  verify('P2P-02', 'p2p/queued.yaml', needsLibvirtHosts);
  verify('P2P-03', 'p2p/crossed.yaml', needsLibvirtHosts);
  verify('P2P-04', 'p2p/frozen-target.yaml', needsLibvirtHosts);
  verify('P2P-05', 'p2p/own-host.yaml', needsLibvirtHosts);
});
