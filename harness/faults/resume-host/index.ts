import { Unavailable } from '../../util/errors.ts';
import { defineFault } from '../types.ts';
import { hostFields, hostTarget } from '../shared.ts';

/** A paused host runs again. */
export const resumeHost = defineFault({
  kind: 'resume-host',
  summary: 'lets a paused host run again',
  target: 'host',
  fields: hostFields,
  needs: { host: ['controls'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    const controls = scope.host(fault.host).controls;
    if (!controls) throw new Unavailable(`${fault.host} cannot be resumed`);
    await controls.resume();
    return `resumed ${fault.host}`;
  },
});
