// Every container and network cutover makes carries its owner's pid, so that a later run
// can remove what a killed run left behind, and the pid of the session (the `cutover`
// command whose suite workers made it), so that an interrupted command removes all of its own.
export const OWNER_LABEL = 'cutover.owner-pid';
export const SESSION_LABEL = 'cutover.session-pid';
export const RUN_LABEL = 'cutover.run';

/** Set by `cutover run` for its suite workers; a process that starts hosts itself is its own session. */
export const SESSION_ENV = 'CUTOVER_SESSION_PID';

export function ownershipLabels(runId: string): Record<string, string> {
  return {
    [OWNER_LABEL]: String(process.pid),
    [SESSION_LABEL]: process.env[SESSION_ENV] ?? String(process.pid),
    [RUN_LABEL]: runId,
  };
}
