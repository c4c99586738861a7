import { exec } from '../../util/command.ts';

/** A virsh call that answered with an error: its message is libvirt's own. */
export class VirshError extends Error {
  constructor(
    readonly args: ReadonlyArray<string>,
    readonly libvirtMessage: string,
    readonly code: number,
  ) {
    super(`virsh ${args.slice(0, 2).join(' ')}: ${libvirtMessage}`);
    this.name = 'VirshError';
  }
}

/** libvirt's connection URI of a host's daemon, reached over plain TCP on the run's network. */
export const hostUri = (address: string): string => `qemu+tcp://${address}/system`;

/** Runs virsh against a daemon; a call that does not answer within timeoutMs rejects. */
export async function virsh(
  uri: string,
  args: ReadonlyArray<string>,
  timeoutMs = 30_000,
  signal?: AbortSignal,
): Promise<string> {
  const result = await exec(['virsh', '-q', '-c', uri, ...args], timeoutMs, signal);
  if (result.code !== 0) throw new VirshError(args, errorText(result.stderr) || `exit ${result.code}`, result.code);
  return result.stdout;
}

/** virsh prints "error: failed to ...\nerror: <the reason>": keep the reasons. */
export function errorText(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^error:\s*/, '').trim())
    .filter(Boolean)
    .join(': ');
}

/** "Key:   value" lines (domjobinfo, dominfo, version) as a record. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  return out;
}
