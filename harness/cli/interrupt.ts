// Ctrl-C (or SIGTERM, SIGHUP) during `cutover run`. The suite workers stop their guests on
// the signal (harness/util/cleanup.ts; it is passed on to them, for a signal sent to this
// process alone); this side waits until they are gone, removes what they could not (hosts
// still being made), and exits 130. The run folder stays ".incomplete": never a result.

import type { HostProvider } from '../hosts/types.ts';
import { childProcesses, childrenEnded } from '../util/process.ts';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const WORKERS_DEADLINE_MS = 20_000;

export interface Interruption {
  /** The signal that came, if one did. */
  readonly signal: NodeJS.Signals | undefined;
  /** A vitest reporter that takes vitest's own signal handlers off: they exit 1 ms after the signal. */
  readonly reporter: { onInit: () => void };
}

export function handleInterruption(
  hostProvider: HostProvider,
  say: (line: string) => void,
  folderPath: string,
): Interruption {
  let signal: NodeJS.Signals | undefined;
  const interrupted = (received: NodeJS.Signals): void => {
    if (signal) return; // a second Ctrl-C: the clean-up under way is bounded, let it finish
    signal = received;
    say(`\n${received}: stopping the run; partial results stay in ${folderPath}`);
    void stopWorkersAndHosts(received, hostProvider, say).finally(() => process.exit(130));
  };
  for (const s of SIGNALS) process.on(s, interrupted);
  return {
    get signal() {
      return signal;
    },
    reporter: {
      onInit: () => {
        for (const s of SIGNALS)
          for (const listener of process.listeners(s)) if (listener !== interrupted) process.off(s, listener);
      },
    },
  };
}

/** Each stage runs whatever the one before met: a worker that is gone already is no error. */
async function stopWorkersAndHosts(
  signal: NodeJS.Signals,
  hostProvider: HostProvider,
  say: (line: string) => void,
): Promise<void> {
  for (const pid of await childProcesses('node').catch(() => [] as number[])) {
    try {
      process.kill(pid, signal);
    } catch {
      // it ended between the listing and the signal
    }
  }
  await childrenEnded('node', WORKERS_DEADLINE_MS).catch(() => false);
  await hostProvider.removeLeftovers?.(say).catch(() => undefined);
}
