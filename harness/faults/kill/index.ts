import { defineFault } from '../types.ts';
import { sideFields, sideTarget, signalSide } from '../targets.ts';

/** kill -9 of one side's emulator: a host or QEMU crash, as seed 003 asks. */
export const kill = defineFault({
  kind: 'kill',
  summary: "kills one side's emulator (SIGKILL)",
  target: 'side',
  fields: sideFields,
  targetOf: sideTarget,
  strike: (fault, scope) => signalSide(fault, scope, 'SIGKILL'),
});
