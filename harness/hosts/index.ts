import { UsageError } from '../util/errors.ts';
import { processHostProvider } from './process/index.ts';
import { emulatedHostProvider } from './emulated/index.ts';
import { EMULATED_SWITCH_IDS, isEmulatedSwitch } from './emulated/bugs.ts';
import { containerHostProvider, HOST_RELEASES } from './container/index.ts';
import type { HostRelease } from './container/image/index.ts';
import type { HostKind, HostProvider } from './types.ts';

export const HOST_KINDS: ReadonlyArray<HostKind> = ['process', 'container', 'emulated'];

export interface HostChoice {
  readonly kind: string;
  /** The image of container hosts. */
  readonly image: string;
  /** Bug variants of emulated hosts (the mutation matrix's). */
  readonly bugs?: ReadonlyArray<string>;
}

/** The host provider for `--hosts` (and `--image`). */
export function hostProvider(choice: HostChoice, remember?: (pid: number) => Promise<void>): HostProvider {
  const { kind } = choice;
  const bugs = choice.bugs ?? [];
  if (bugs.length && kind !== 'emulated')
    throw new UsageError(`--bug ${bugs.join(',')}: bug variants exist only in emulated hosts`, 'add --hosts emulated');
  if (kind === 'process') return processHostProvider(remember);
  if (kind === 'container') {
    if (!HOST_RELEASES.includes(choice.image as HostRelease)) {
      throw new UsageError(`unknown host image '${choice.image}'`, `use --image ${HOST_RELEASES.join(' or ')}`);
    }
    return containerHostProvider(choice.image as HostRelease);
  }
  if (kind === 'emulated') {
    const unknown = bugs.find((b) => !isEmulatedSwitch(b));
    if (unknown !== undefined)
      throw new UsageError(`unknown emulated bug '${unknown}'`, `use one of ${EMULATED_SWITCH_IDS.join(', ')}`);
    return emulatedHostProvider(bugs.filter(isEmulatedSwitch), remember);
  }
  throw new UsageError(`unknown host kind '${kind}'`, `use one of ${HOST_KINDS.join(', ')}`);
}

export type { Host, HostKind, HostProvider } from './types.ts';
/** How `cutover run` tells its suite workers which session their hosts belong to. */
export { SESSION_ENV } from './container/labels.ts';
