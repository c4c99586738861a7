import { defineFault } from '../types.ts';
import { clientFields, clientOf } from '../targets.ts';

/** The SPICE client stays connected but answers nothing (SIGSTOP): it cannot follow a handover. */
export const stallClient = defineFault({
  kind: 'stall-client',
  summary: "stalls the harness's SPICE client (SIGSTOP): connected, answering nothing",
  target: 'client',
  fields: clientFields,
  needs: { driver: ['spice'] },
  targetOf: () => ({}),
  strike: async (_fault, scope) => {
    clientOf(scope).freeze();
    return 'SPICE client stalled';
  },
});
