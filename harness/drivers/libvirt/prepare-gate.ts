import type { Host } from '../../hosts/types.ts';

// Every cutover host carries libvirt's qemu hook (harness/hosts/container/qemu-hook, mounted
// at /etc/libvirt/hooks/qemu before libvirtd starts: libvirt looks for hooks only then). The
// hook fails operation 'migrate' (the destination's Prepare) while this file exists, and
// libvirt quotes what the hook wrote on stderr in the migration's error.

export const REFUSE_FLAG = '/run/cutover/refuse-migrate';

export async function refuseMigrationsTo(host: Host, reason: string): Promise<void> {
  const result = await host.exec(
    ['sh', '-c', `mkdir -p /run/cutover && printf '%s\\n' "$1" > ${REFUSE_FLAG}`, 'refuse', reason],
    { timeoutMs: 10_000 },
  );
  if (result.code !== 0) throw new Error(`could not arm the migrate hook on ${host.name}: ${result.stderr.trim()}`);
}
