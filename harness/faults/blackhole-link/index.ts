import { defineFault } from '../types.ts';
import { linkFields, linkTarget, setLink } from '../targets.ts';

/** The migration link stays up but nothing gets through, as behind a firewall that drops packets. */
export const blackholeLink = defineFault({
  kind: 'blackhole-link',
  summary: "blackholes a guest's migration link: connections stay up, nothing gets through",
  target: 'link',
  fields: linkFields,
  needs: { driver: ['migration-relay'], host: ['loopback'] },
  targetOf: linkTarget,
  strike: (fault, scope) => setLink(fault, scope, 'blackhole'),
});
