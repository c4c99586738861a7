import { defineFault } from '../types.ts';
import { linkFields, linkTarget, setLink } from '../targets.ts';

/** The migration link goes down: connections reset, new ones refused (or the host's interface down). */
export const cutLink = defineFault({
  kind: 'cut-link',
  summary: "cuts a guest's migration link: its connections reset, new ones refused",
  target: 'link',
  fields: linkFields,
  needsEither: [{ driver: ['migration-relay'], host: ['loopback'] }, { host: ['controls'] }],
  targetOf: linkTarget,
  strike: (fault, scope) => setLink(fault, scope, 'cut'),
});
