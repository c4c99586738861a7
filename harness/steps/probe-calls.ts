import { z } from 'zod';
import { PROBE_CALLS, type ProbeCall } from '../drivers/types.ts';
import { grantedWait } from '../util/clock.ts';
import { formatMs } from '../util/deadline.ts';
import { duration, guestRef } from '../util/fields.ts';
import { guestRun, hostNamed, requireCapability } from './context.ts';
import { defineStep } from './step.ts';
import { samplePools } from './watch-daemons.ts';

/** Makes management calls to a host's daemon and records whether and how fast they answer. */
export const probeCalls = defineStep({
  schema: z.strictObject({
    do: z.literal('probe-calls'),
    host: z.string(),
    calls: z.array(z.enum(Object.keys(PROBE_CALLS) as [ProbeCall, ...ProbeCall[]])).nonempty(),
    guest: guestRef,
    within: duration,
  }),
  records: ['call', 'pool'],
  gathersEvidence: true,
  check(step, scope) {
    scope.host(step.host);
    scope.guest(step.guest);
  },
  async play(ctx, step) {
    requireCapability(ctx, 'daemon-pools', "probe its daemons' calls");
    const daemons = ctx.driver.daemons;
    if (!daemons) throw new Error('a driver with daemon-pools but no daemon facet');
    const host = hostNamed(ctx, step.host);
    const guest = guestRun(ctx, step.guest).spec.name;
    // The pools as the calls meet them: sampled right before and right after, for the judges.
    await samplePools(ctx);
    // A wait granted to the daemon: on a faster clock its answer still crosses real processes
    // (a QMP round trip to the guest's QEMU took 153 ms of wall time at x10 under load), and
    // giving up before the judges' widened bound would turn that lag into 'no answer'.
    const within = grantedWait(step.within);
    const t = ctx.clock();
    const probes = await Promise.all(step.calls.map((call) => daemons.probe(host, call, guest, within)));
    for (const probe of probes) ctx.history.append({ type: 'call', t, host: host.name, ...probe });
    await samplePools(ctx);
    return probes.map((p) => `${p.call}: ${p.outcome} in ${formatMs(p.latencyMs)}`).join('; ');
  },
});
