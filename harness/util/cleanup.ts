// Whatever a run started must end with it, also on Ctrl-C, on SIGTERM, and when the process
// that started this one dies (a vitest worker loses its IPC channel). Work that owns
// processes or folders registers its clean-up here for as long as it owns them.

type Cleanup = () => Promise<unknown>;

const pending = new Set<Cleanup>();
let installed = false;
let exiting = false;

export function whileRunning<T>(cleanup: Cleanup, work: () => Promise<T>): Promise<T> {
  const unregister = registerCleanup(cleanup);
  return work().finally(unregister);
}

/** Registers a clean-up until the returned function is called. */
export function registerCleanup(cleanup: Cleanup): () => void {
  install();
  pending.add(cleanup);
  return () => pending.delete(cleanup);
}

/** Runs every registered clean-up, each bounded, then exits with the given code. */
export async function cleanUpAndExit(code: number, why: string): Promise<never> {
  // A second signal (the pool closing this worker, the parent going) must not cut the
  // clean-up short: it is bounded, and containers would outlive an early exit.
  if (exiting) return new Promise<never>(() => {});
  if (pending.size > 0) {
    exiting = true;
    process.stderr.write(`cutover: ${why}: stopping guests and removing temporary files\n`);
    const all = [...pending].map((c) =>
      Promise.race([c().catch(() => undefined), new Promise((r) => setTimeout(r, 8000))]),
    );
    await Promise.all(all);
  }
  try {
    process.exit(code);
  } catch {
    // A vitest worker's process.exit throws; its clean-up is done, so end it the hard way.
    process.kill(process.pid, 'SIGKILL');
  }
  return new Promise<never>(() => {});
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(
      signal,
      () => void cleanUpAndExit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1), `received ${signal}`),
    );
  }
  // A forked worker whose parent died: nobody will collect its results, so stop now.
  process.on('disconnect', () => void cleanUpAndExit(1, 'the parent process is gone'));
}
