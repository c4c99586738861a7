import { z } from 'zod';
import { parseDuration, parseSize } from './units.ts';

// Schema fields that scenario files write the same way everywhere: durations, sizes, names.

export const duration = z
  .union([
    z.number().nonnegative(),
    z.string().refine((s) => parseDuration(s) !== undefined, 'a duration like "500ms", "20s" or "2m"'),
  ])
  .transform((v) => (typeof v === 'number' ? v : (parseDuration(v) as number)));

export const size = z
  .union([
    z.number().int().positive(),
    z.string().refine((s) => parseSize(s) !== undefined, 'a size like "64MiB" or "8GiB"'),
  ])
  .transform((v) => (typeof v === 'number' ? v : (parseSize(v) as number)));

/** Which guest a step or fault acts on: the scenario's `guest` unless named. */
export const guestRef = z.string().optional();
