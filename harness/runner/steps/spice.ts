import { join } from 'node:path';
import { startSpiceClient } from '../../spice/client.ts';
import { startDisplay } from '../../spice/display.ts';
import { formatMs, sleep } from '../../util/deadline.ts';
import { guestRun, StepDeadline, StepUnavailable } from '../context.ts';
import type { StepHandlers } from './shared.ts';

/** The harness's own SPICE client, and what the servers say about it. */
export const spiceSteps = {
  'spice-client': async (ctx, step) => {
    const source = guestRun(ctx, step.guest).sides.source;
    if (!source) throw new Error('spice-client before start');
    const now = ctx.clock();
    if (step.action !== 'connect') {
      const client = ctx.spiceClient;
      if (!client) throw new Error(`spice-client ${step.action} before connect`);
      if (step.action === 'freeze') client.freeze();
      else if (step.action === 'thaw') client.thaw();
      else await client.kill();
      ctx.faults.push({ t: now, fault: `${step.action}-spice-client`, host: 'harness' });
      return `SPICE client: ${step.action}`;
    }
    if (!source.spiceAddress || !source.spice) throw new StepUnavailable(`the ${ctx.driver.name} driver gives the guest no SPICE display`);
    const dir = source.host.workDir;
    ctx.display ??= await startDisplay({ logPath: join(dir, 'xvfb.log'), clock: ctx.clock });
    const display = ctx.display;
    ctx.spiceClient = await startSpiceClient({ ...source.spiceAddress, display: display.display, logPath: join(dir, 'remote-viewer.log'), clock: ctx.clock });
    const client = ctx.spiceClient;
    ctx.background.push(async () => {
      await client.stop().catch(() => undefined);
      await display.stop().catch(() => undefined);
    });
    ctx.evidence.push({ label: 'SPICE client log (remote-viewer)', path: join(dir, 'remote-viewer.log') }, { label: 'X server log (Xvfb)', path: join(dir, 'xvfb.log') });
    // Connected means the server lists the client's channels (the main one first, the others
    // a moment later), not that the process runs: wait until the list stops growing.
    const end = ctx.clock() + step.within;
    let previous = -1;
    for (;;) {
      const status = await source.spice();
      if (status.channels.length > 1 && status.channels.length === previous) {
        ctx.spice.push({ t: ctx.clock(), side: 'source', status });
        return `SPICE client connected: connection ${status.channels[0]?.connectionId}, ${status.channels.length} channels`;
      }
      previous = status.channels.length;
      if (!client.alive) throw new Error('remote-viewer exited before connecting (see remote-viewer.log)');
      if (ctx.clock() >= end) throw new StepDeadline(`the SPICE client did not finish connecting within ${formatMs(step.within)} (${previous} channel(s))`);
      await sleep(250);
    }
  },

  'query-spice': async (ctx, step) => {
    const handle = guestRun(ctx, step.guest).sides[step.side];
    if (!handle?.spice) throw new StepUnavailable(`no SPICE server on the ${step.side} side`);
    if ((await handle.runState().catch(() => 'gone')) === 'gone') throw new StepUnavailable(`the ${step.side} emulator has ended`);
    const status = await handle.spice();
    ctx.spice.push({ t: ctx.clock(), side: step.side, status });
    const ids = [...new Set(status.channels.map((c) => c.connectionId))];
    return `${step.side} SPICE: ${status.channels.length} client channel(s)${ids.length ? `, connection ${ids.join(', ')}` : ''}${status.migrated ? ', migrated' : ''}`;
  },
} satisfies StepHandlers;
