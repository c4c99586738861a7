import { defineFault } from '../types.ts';
import { sideFields, sideTarget, signalSide } from '../targets.ts';

/** One side's emulator stops answering anything (SIGSTOP), as a hung QEMU would. */
export const freeze = defineFault({
  kind: 'freeze',
  summary: "freezes one side's emulator (SIGSTOP)",
  target: 'side',
  fields: sideFields,
  targetOf: sideTarget,
  strike: (fault, scope) => signalSide(fault, scope, 'SIGSTOP'),
});
