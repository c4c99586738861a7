import { defineFault } from '../types.ts';
import { daemonsOf, hostFields, hostTarget } from '../targets.ts';

/** A host's management daemon is killed (even frozen or deadlocked) and started again until it answers. */
export const restartDaemon = defineFault({
  kind: 'restart-daemon',
  summary: 'kills a host\'s management daemon and starts it again',
  target: 'daemon',
  fields: hostFields,
  needs: { driver: ['daemon-pools'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    await daemonsOf(scope).restart(scope.host(fault.host));
    return `restarted the management daemon of ${fault.host}`;
  },
});
