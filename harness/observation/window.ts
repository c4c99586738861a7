import type { Keepalive } from '../hosts/types.ts';

// How long after a migration ended (or a fault struck) both sides must still be watched
// before "never two runners" can be said: a management layer that loses its peer gives it up
// only after its keepalive runs out, and may then resume a copy of the guest. The settle
// step waits this long; MIG-08 checks that it did.

/** Where no host keeps a keepalive (QEMU alone has none): a fixed watch. */
export const NO_KEEPALIVE_WATCH_MS = 5000;

export interface WatchBound {
  readonly ms: number;
  /** Where the figure comes from, for the verdict's words. */
  readonly basis: string;
}

/** How long a daemon takes to give up a silent peer: a probe every interval, `count` of them unanswered, then one more interval. */
export const keepaliveBoundMs = ({ interval, count }: Keepalive): number => interval * (count + 1) * 1000;

/** The longest keepalive bound among the hosts, or the fixed watch. */
export function watchBound(hosts: Readonly<Record<string, { readonly keepalive?: Keepalive }>>): WatchBound {
  const bounds = Object.entries(hosts)
    .filter(([, h]) => h.keepalive && h.keepalive.interval > 0)
    .map(([name, h]) => {
      const keepalive = h.keepalive as Keepalive;
      return {
        ms: keepaliveBoundMs(keepalive),
        basis: `the keepalive bound of ${name}, ${keepalive.interval} s x (${keepalive.count} + 1)`,
      };
    })
    .sort((a, b) => b.ms - a.ms);
  return (
    bounds[0] ?? {
      ms: NO_KEEPALIVE_WATCH_MS,
      basis: `no host keeps a keepalive: a fixed ${NO_KEEPALIVE_WATCH_MS / 1000} s`,
    }
  );
}
