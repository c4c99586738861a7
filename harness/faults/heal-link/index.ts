import { defineFault } from '../types.ts';
import { linkFields, linkTarget, setLink } from '../targets.ts';

/** The migration link comes back; connections a blackhole swallowed are reset, so both ends notice. */
export const healLink = defineFault({
  kind: 'heal-link',
  summary: "heals a guest's migration link",
  target: 'link',
  fields: linkFields,
  needsEither: [{ driver: ['migration-relay'], host: ['loopback'] }, { host: ['controls'] }],
  targetOf: linkTarget,
  strike: (fault, scope) => setLink(fault, scope, 'up'),
});
