import { z } from 'zod';
import { Unavailable } from '../../util/errors.ts';
import { defineFault } from '../types.ts';
import { hostFields, hostTarget } from '../targets.ts';

/** Migrations to a host fail in Prepare from now on: its gate (libvirt's migrate hook) refuses them. */
export const refusePrepare = defineFault({
  kind: 'refuse-prepare',
  summary: "makes a destination host refuse Prepare for every migration to it (libvirt's migrate hook)",
  target: 'host',
  fields: hostFields.extend({
    reason: z.string().min(1).default('cutover: this destination refuses the migration (refuse-prepare fault)'),
  }),
  needs: { driver: ['refuse-prepare'] },
  targetOf: hostTarget,
  strike: async (fault, scope) => {
    const gate = scope.driver.prepareGate;
    if (!gate) throw new Unavailable(`the ${scope.driver.name} driver offers no prepare gate`);
    await gate.refuse(scope.host(fault.host), fault.reason);
    return `${fault.host} refuses Prepare from now on ("${fault.reason}")`;
  },
});
