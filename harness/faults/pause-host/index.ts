import { defineFault } from '../types.ts';
import { controlsOf, hostFields, hostTarget } from '../targets.ts';

/** Every process of a host stops at once (docker pause): a host that hangs whole. */
export const pauseHost = defineFault({
  kind: 'pause-host',
  summary: 'freezes every process of a host',
  target: 'host',
  fields: hostFields,
  needs: { host: ['controls'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    await controlsOf(scope, fault.host).pause();
    return `paused ${fault.host}`;
  },
});
