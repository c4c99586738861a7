import { join } from 'node:path';
import { z } from 'zod';
import { startSpiceClient } from '../spice/client.ts';
import { startDisplay } from '../spice/display.ts';
import { formatMs, sleep } from '../util/deadline.ts';
import { Unavailable, WaitExpired } from '../util/errors.ts';
import { duration, guestRef } from '../util/fields.ts';
import { guestRun, requireCapability } from './context.ts';
import { defineStep } from './step.ts';
import { grantedWait } from '../util/clock.ts';

/**
 * Connects the harness's own SPICE client to the guest's source: remote-viewer under Xvfb,
 * or the client program the host names (the emulated hosts' own, which needs no display).
 */
export const spiceClient = defineStep({
  schema: z.strictObject({ do: z.literal('spice-client'), guest: guestRef, within: duration.default(20_000) }),
  records: ['spice', 'evidence'],
  check(step, scope) {
    scope.requireStarted(scope.guest(step.guest), 'spice-client');
    scope.markClientConnected();
  },
  async play(ctx, step) {
    requireCapability(ctx, 'spice', 'give the guest a SPICE display');
    const guest = guestRun(ctx, step.guest);
    const source = guest.sides.source;
    if (!source) throw new Error('spice-client before start');
    if (!source.spiceAddress || !source.spice)
      throw new Unavailable(`the ${ctx.driver.name} driver gives the guest no SPICE display`);
    const dir = source.host.workDir;
    const program = await source.host.spiceClient?.();
    const display = program
      ? undefined
      : (ctx.spice?.display ?? (await startDisplay({ logPath: join(dir, 'xvfb.log'), clock: ctx.clock })));
    const logName = program ? 'spice-client.log' : 'remote-viewer.log';
    const client = await startSpiceClient({
      ...source.spiceAddress,
      ...(display && { display: display.display }),
      ...(program && { program }),
      logPath: join(dir, logName),
      clock: ctx.clock,
    });
    ctx.spice = { client, ...(display && { display }) };
    ctx.background.push(async () => {
      await client.stop().catch(() => undefined);
      await display?.stop().catch(() => undefined);
    });
    ctx.history.append({
      type: 'evidence',
      label: `SPICE client log (${program ? program.origin : 'remote-viewer'})`,
      path: join(dir, logName),
    });
    if (display) ctx.history.append({ type: 'evidence', label: 'X server log (Xvfb)', path: join(dir, 'xvfb.log') });
    // Connected means the server lists the client's channels (the main one first, the others
    // a moment later), not that the process runs: wait until the list stops growing.
    const within = grantedWait(step.within);
    const end = ctx.clock() + within;
    let previous = -1;
    for (;;) {
      const status = await source.spice();
      if (status.channels.length > 1 && status.channels.length === previous) {
        ctx.history.append({ type: 'spice', guest: guest.key, side: 'source', status });
        return `SPICE client connected: connection ${status.channels[0]?.connectionId}, ${status.channels.length} channels`;
      }
      previous = status.channels.length;
      if (!client.alive) throw new Error(`the SPICE client exited before connecting (see ${logName})`);
      if (ctx.clock() >= end)
        throw new WaitExpired(
          `the SPICE client did not finish connecting within ${formatMs(within)} (${previous} channel(s))`,
        );
      await sleep(250);
    }
  },
});
