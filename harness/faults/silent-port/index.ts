import { Unavailable } from '../../util/errors.ts';
import { linkFields, linkTarget } from '../targets.ts';
import { defineFault } from '../types.ts';
import { silentListener } from './silent-listener.ts';

/**
 * The destination is silent: its migration port answers no connection attempt, as a host
 * behind a firewall that drops packets. A source connecting there hangs until its own
 * bound (QEMU has none of its own: the kernel's SYN retries, ~127 s on Linux).
 */
export const silentPort = defineFault({
  kind: 'silent-port',
  summary: "makes the destination's migration port answer no connection attempt (SYNs dropped): a silent host",
  target: 'link',
  fields: linkFields,
  needs: { driver: ['migration-relay'], host: ['loopback'] },
  targetOf: linkTarget,
  strike: async (fault, scope) => {
    const { link, destination } = scope.link(fault.guest);
    if (destination && !link.relayed)
      throw new Unavailable(
        "the migration does not go through the harness's relay, whose port a silent listener would take",
      );
    await link.hold(silentListener);
    return `silenced the migration port of ${fault.guest ?? 'the guest'}'s destination${link.relayed ? '' : ' (before the migration connected)'}`;
  },
});
