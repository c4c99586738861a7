import { z } from 'zod';
import { DAEMON_STOP_SIGNALS } from '../../drivers/types.ts';
import { defineFault } from '../types.ts';
import { daemonsOf, hostFields, hostTarget } from '../targets.ts';

/**
 * A host's management daemon is ended and started again until it answers: killed (even
 * frozen or deadlocked), or interrupted (SIGINT) or terminated so that it shuts down as it would.
 */
export const restartDaemon = defineFault({
  kind: 'restart-daemon',
  summary: "ends a host's management daemon (SIGKILL, or SIGINT/SIGTERM: `signal: SIGINT`) and starts it again",
  target: 'daemon',
  fields: hostFields.extend({ signal: z.enum(DAEMON_STOP_SIGNALS).default('SIGKILL') }),
  needs: { driver: ['daemon-pools'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    await daemonsOf(scope).restart(scope.host(fault.host), fault.signal);
    return `ended the management daemon of ${fault.host} (${fault.signal}) and started it again`;
  },
});
