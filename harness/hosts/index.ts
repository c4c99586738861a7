import { UsageError } from '../util/errors.ts';
import type { Clock } from '../util/clock.ts';
import { processHostProvider } from './process/index.ts';
import type { HostKind, HostProvider } from './types.ts';

export const HOST_KINDS: ReadonlyArray<HostKind> = ['process'];

/** The host provider for `--hosts`. */
export function hostProvider(kind: string, clock: Clock, remember?: (pid: number) => Promise<void>): HostProvider {
  if (kind === 'process') return processHostProvider(clock, remember);
  if (kind === 'container' || kind === 'emulated') {
    throw new UsageError(`--hosts ${kind} is not available in this version`, 'use --hosts process');
  }
  throw new UsageError(`unknown host kind '${kind}'`, `use one of ${HOST_KINDS.join(', ')}`);
}

export type { Host, HostKind, HostProvider } from './types.ts';
