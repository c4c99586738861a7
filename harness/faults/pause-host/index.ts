import { Unavailable } from '../../util/errors.ts';
import { defineFault } from '../types.ts';
import { hostFields, hostTarget } from '../shared.ts';

/** Every process of a host stops at once (docker pause): a host that hangs whole. */
export const pauseHost = defineFault({
  kind: 'pause-host',
  summary: 'freezes every process of a host',
  target: 'host',
  fields: hostFields,
  needs: { host: ['controls'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    const controls = scope.host(fault.host).controls;
    if (!controls) throw new Unavailable(`${fault.host} cannot be paused`);
    await controls.pause();
    return `paused ${fault.host}`;
  },
});
