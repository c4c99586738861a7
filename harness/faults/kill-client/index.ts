import { defineFault } from '../types.ts';
import { clientFields, clientOf } from '../targets.ts';

/** The SPICE client dies (SIGKILL): its connections drop as when it crashes. */
export const killClient = defineFault({
  kind: 'kill-client',
  summary: "kills the harness's SPICE client (SIGKILL)",
  target: 'client',
  fields: clientFields,
  needs: { driver: ['spice'] },
  targetOf: () => ({}),
  strike: async (_fault, scope) => {
    await clientOf(scope).kill();
    return 'SPICE client killed';
  },
});
