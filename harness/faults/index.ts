import type { Host } from '../hosts/types.ts';
import { pollUntil } from '../util/deadline.ts';
import { UsageError } from '../util/errors.ts';

// What goes wrong, as values a scenario lists (and, later, a property test generates):
// a process of a host killed, frozen, thawed or restarted; a whole host paused or resumed;
// a host's link cut or healed.

export const FAULT_KINDS = [
  'kill-process', 'freeze-process', 'thaw-process', 'restart-daemon',
  'pause-host', 'resume-host', 'cut-link', 'heal-link',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  readonly fault: FaultKind;
  readonly host: string;
  /** The process a process fault hits (by name); libvirtd by default. */
  readonly process?: string;
}

/** Applies a fault; returns a line that says what was done. */
export async function applyFault(fault: Fault, host: Host): Promise<string> {
  const name = fault.process ?? 'libvirtd';
  const signal = async (sig: string): Promise<string> => {
    const result = await host.exec(['pkill', `-${sig}`, '-x', name], { timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`no process '${name}' to signal on ${host.name}`);
    return `${sig} to ${name} on ${host.name}`;
  };
  const controls = (): NonNullable<Host['controls']> => {
    if (!host.controls) throw new UsageError(`fault ${fault.fault} needs container hosts (${host.name} is a ${host.kind} host)`, 'use --hosts container');
    return host.controls;
  };
  switch (fault.fault) {
    case 'kill-process':
      return signal('KILL');
    case 'freeze-process':
      return signal('STOP');
    case 'thaw-process':
      return signal('CONT');
    case 'restart-daemon':
      return restartLibvirtd(host);
    case 'pause-host':
      await controls().pause();
      return `paused ${host.name}`;
    case 'resume-host':
      await controls().resume();
      return `resumed ${host.name}`;
    case 'cut-link':
      await controls().cutLink();
      return `cut ${host.name}'s link`;
    case 'heal-link':
      await controls().healLink();
      return `healed ${host.name}'s link`;
  }
}

/** Kills libvirtd (even a frozen or deadlocked one) and starts it again, until it answers. */
async function restartLibvirtd(host: Host): Promise<string> {
  if (host.kind === 'process') throw new UsageError('restart-daemon needs hosts that run libvirtd', 'use --hosts container');
  await host.exec(['pkill', '-KILL', '-x', 'libvirtd'], { timeoutMs: 10_000 });
  await pollUntil(`libvirtd on ${host.name} to end`, 10_000, async () => ((await host.exec(['pgrep', '-x', 'libvirtd'], { timeoutMs: 5000 })).code !== 0 ? true : undefined), 100);
  const started = await host.exec(['sh', '-c', 'rm -f /run/libvirtd.pid; libvirtd -d --listen'], { timeoutMs: 15_000 });
  if (started.code !== 0) throw new Error(`libvirtd did not start again on ${host.name}: ${started.stderr.trim()}`);
  await pollUntil(`libvirtd on ${host.name} to answer`, 30_000, async () => {
    const probe = await host.exec(['virsh', '-c', 'qemu:///system', 'version'], { timeoutMs: 5000 }).catch(() => undefined);
    return probe?.code === 0 ? true : undefined;
  }, 200);
  return `restarted libvirtd on ${host.name}`;
}
