import { parse } from 'yaml';
import { UsageError } from '../util/errors.ts';

/** Collects repeated `--driver-option key=value` flags; values read as YAML scalars (true, 3, text). */
export function driverOption(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const match = /^([A-Za-z][\w-]*)=(.*)$/.exec(value);
  if (!match)
    throw new UsageError(`--driver-option '${value}' is not key=value`, 'e.g. --driver-option quitSource=after-spice');
  const [, key = '', raw = ''] = match;
  let parsed: unknown;
  try {
    parsed = parse(raw);
  } catch {
    parsed = raw;
  }
  return { ...previous, [key]: parsed ?? raw };
}
