import { z } from 'zod';
import { SIDES } from '../drivers/vocabulary.ts';
import { checkDataDisk } from '../guest/disk-check.ts';
import { readDiskImage } from '../observation/disk-image.ts';
import { Unavailable } from '../util/errors.ts';
import { guestRef } from '../util/fields.ts';
import { guestRun } from './context.ts';
import { defineStep } from './step.ts';

/** Reads a side's data disk on its host and checks every sector it holds of its own. */
export const checkDisk = defineStep({
  schema: z.strictObject({ do: z.literal('check-disk'), guest: guestRef, side: z.enum(SIDES) }),
  records: ['disk'],
  gathersEvidence: true,
  check(step, scope) {
    scope.requireSide(scope.guest(step.guest), step.side, 'check-disk');
  },
  async play(ctx, step) {
    const run = guestRun(ctx, step.guest);
    const handle = run.sides[step.side];
    const image = handle?.dataDiskImage?.();
    if (!handle || !image)
      throw new Unavailable(`the ${ctx.driver.name} driver does not say where the ${step.side}'s data disk lies`);
    const t = ctx.clock();
    const { raw, extents } = await readDiskImage(handle.host, image, `${image.path}.check.raw`);
    const check = checkDataDisk(raw, extents);
    ctx.history.append({ type: 'disk', t, guest: run.key, side: step.side, check });
    return `${step.side} disk: ${check.summary}`;
  },
});
