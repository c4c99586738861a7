import { defineFault } from '../types.ts';
import { daemonsOf, hostFields, hostTarget } from '../targets.ts';

/** A frozen management daemon runs again (SIGCONT). */
export const thawDaemon = defineFault({
  kind: 'thaw-daemon',
  summary: "thaws a host's frozen management daemon (SIGCONT)",
  target: 'daemon',
  fields: hostFields,
  needs: { driver: ['daemon-pools'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    await daemonsOf(scope).signal(scope.host(fault.host), 'SIGCONT');
    return `thawed the management daemon of ${fault.host}`;
  },
});
