import { defineFault } from '../types.ts';
import { controlsOf, hostFields, hostTarget } from '../targets.ts';

/** A paused host runs again. */
export const resumeHost = defineFault({
  kind: 'resume-host',
  summary: 'lets a paused host run again',
  target: 'host',
  fields: hostFields,
  needs: { host: ['controls'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    await controlsOf(scope, fault.host).resume();
    return `resumed ${fault.host}`;
  },
});
