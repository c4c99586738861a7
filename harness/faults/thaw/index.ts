import { defineFault } from '../types.ts';
import { sideFields, sideTarget, signalSide } from '../targets.ts';

/** Lets a frozen emulator run again (SIGCONT). */
export const thaw = defineFault({
  kind: 'thaw',
  summary: "thaws one side's frozen emulator (SIGCONT)",
  target: 'side',
  fields: sideFields,
  targetOf: sideTarget,
  strike: (fault, scope) => signalSide(fault, scope, 'SIGCONT'),
});
