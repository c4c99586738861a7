// PCS: losing the source after cut-over (seed 003): post-copy RAM and the faults around it.
import { family, verify } from '../harness/suite/verify.ts';

family('PCS: source lost after cut-over', () => {
  verify('PCS-01', 'pcs/source-lost-postcopy.yaml');
  verify('PCS-02', 'pcs/link-cut-postcopy.yaml');
  // Before cut-over, placed at two states: the moment the migration reports setup, and while active.
  verify('PCS-03', ['pcs/source-lost-setup.yaml', 'pcs/source-lost-precopy.yaml']);
  verify('PCS-04', ['pcs/destination-lost-setup.yaml', 'pcs/destination-lost-precopy.yaml']);
  verify('PCS-05', 'pcs/storage-stream-source-lost.yaml');
  verify('PCS-06', 'pcs/storage-mirror-destination-lost.yaml');
});
