// Every container and network cutover makes carries its owner's pid, so that a later run
// can remove what a killed run left behind.
export const OWNER_LABEL = 'cutover.owner-pid';
export const RUN_LABEL = 'cutover.run';
