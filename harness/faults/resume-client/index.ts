import { defineFault } from '../types.ts';
import { clientFields, clientOf } from '../targets.ts';

/** A stalled SPICE client runs again (SIGCONT). */
export const resumeClient = defineFault({
  kind: 'resume-client',
  summary: 'lets a stalled SPICE client run again (SIGCONT)',
  target: 'client',
  fields: clientFields,
  needs: { driver: ['spice'] },
  targetOf: () => ({}),
  strike: async (_fault, scope) => {
    clientOf(scope).thaw();
    return 'SPICE client resumed';
  },
});
