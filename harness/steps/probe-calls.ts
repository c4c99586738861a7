import { z } from 'zod';
import { PROBE_CALLS, type ProbeCall, type ProbeResult } from '../drivers/types.ts';
import { grantedWait } from '../util/clock.ts';
import { DeadlineError, formatMs, withDeadline } from '../util/deadline.ts';
import { duration, guestRef } from '../util/fields.ts';
import { guestRun, hostNamed, requireCapability } from './context.ts';
import { ANSWER_MS, lookBound } from './looks.ts';
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
    // A probe is the driver's to bound (within); one that does not return is a call with no answer too.
    const bound = within + lookBound(ANSWER_MS);
    const probes = await Promise.all(
      step.calls.map((call) =>
        withDeadline(`probe ${call}`, bound, daemons.probe(host, call, guest, within)).catch((err): ProbeResult => {
          if (!(err instanceof DeadlineError)) throw err;
          const detail = `the ${ctx.driver.name} driver's probe did not return within ${formatMs(bound)}`;
          return {
            call: `${call} ${guest}`,
            priority: PROBE_CALLS[call],
            outcome: 'no-answer',
            latencyMs: bound,
            detail,
          };
        }),
      ),
    );
    for (const probe of probes) ctx.history.append({ type: 'call', t, host: host.name, ...probe });
    await samplePools(ctx);
    return probes.map((p) => `${p.call}: ${p.outcome} in ${formatMs(p.latencyMs)}`).join('; ');
  },
});
