import { defineFault } from '../types.ts';
import { daemonsOf, hostFields, hostTarget } from '../targets.ts';

/** A host's management daemon stops answering (SIGSTOP): its peers see a frozen daemon (P2P-04). */
export const freezeDaemon = defineFault({
  kind: 'freeze-daemon',
  summary: "freezes a host's management daemon (SIGSTOP)",
  target: 'daemon',
  fields: hostFields,
  needs: { driver: ['daemon-pools'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    await daemonsOf(scope).signal(scope.host(fault.host), 'SIGSTOP');
    return `froze the management daemon of ${fault.host}`;
  },
});
