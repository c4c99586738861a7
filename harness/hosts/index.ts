import { UsageError } from '../util/errors.ts';
import { processHostProvider } from './process/index.ts';
import { containerHostProvider, HOST_RELEASES } from './container/index.ts';
import type { HostRelease } from './container/image/index.ts';
import type { HostKind, HostProvider } from './types.ts';

export const HOST_KINDS: ReadonlyArray<HostKind> = ['process', 'container'];

export interface HostChoice {
  readonly kind: string;
  /** The image of container hosts. */
  readonly image: string;
}

/** The host provider for `--hosts` (and `--image`). */
export function hostProvider(choice: HostChoice, remember?: (pid: number) => Promise<void>): HostProvider {
  const { kind } = choice;
  if (kind === 'process') return processHostProvider(remember);
  if (kind === 'container') {
    if (!HOST_RELEASES.includes(choice.image as HostRelease)) {
      throw new UsageError(`unknown host image '${choice.image}'`, `use --image ${HOST_RELEASES.join(' or ')}`);
    }
    return containerHostProvider(choice.image as HostRelease);
  }
  if (kind === 'emulated') {
    throw new UsageError(`--hosts ${kind} is not available in this version`, 'use --hosts process or container');
  }
  throw new UsageError(`unknown host kind '${kind}'`, `use one of ${HOST_KINDS.join(', ')}`);
}

export type { Host, HostKind, HostProvider } from './types.ts';
/** How `cutover run` tells its suite workers which session their hosts belong to. */
export { SESSION_ENV } from './container/labels.ts';
