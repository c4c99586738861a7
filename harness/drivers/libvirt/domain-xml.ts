import type { GuestSpec } from '../types.ts';

export interface DomainXmlOptions {
  readonly spec: GuestSpec;
  /** 'kvm' when the host can run KVM guests, else 'qemu' (TCG). */
  readonly type: 'kvm' | 'qemu';
  /** The boot sector, at a path the host's QEMU can open. */
  readonly bootImage: string;
  /** The data disk (primary slave) of the disk-reading guest, at a path the host can open. */
  readonly dataDisk?: string;
}

/** A SPICE server on every address of the host (the harness's client comes from outside). */
const SPICE_DEVICES = `
    <graphics type='spice' autoport='yes'>
      <listen type='address' address='0.0.0.0'/>
    </graphics>
    <video><model type='vga'/></video>`;

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The test guest as a libvirt domain. The boot disk is shareable: it is never written, and
 * libvirt then accepts live migration without shared storage checks. COM1 connects to the
 * harness's socket, as with the qemu driver.
 */
export function domainXml(options: DomainXmlOptions): string {
  const { spec } = options;
  return `<domain type='${options.type}'>
  <name>${escapeXml(spec.name)}</name>
${spec.uuid !== undefined ? `  <uuid>${spec.uuid}</uuid>\n` : ''}  <memory unit='MiB'>${spec.memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='${escapeXml(spec.machine ?? 'pc')}'>hvm</type>
    <boot dev='hd'/>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${escapeXml(options.bootImage)}'/>
      <target dev='hda' bus='ide'/>
      <shareable/>
    </disk>${options.dataDisk !== undefined ? dataDiskXml(options.dataDisk) : ''}
    <serial type='unix'>
      <source mode='connect' path='${escapeXml(spec.serialSocket)}'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>${spec.spice ? SPICE_DEVICES : ''}
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

/** The data disk: not shareable, so a storage copy moves it. */
const dataDiskXml = (path: string): string => `
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${escapeXml(path)}'/>
      <target dev='hdb' bus='ide'/>
    </disk>`;

/** The same domain with its data disk at another path: the destination's own copy. */
export function withDataDisk(xml: string, path: string): string {
  return xml.replace(
    /(<source file=')[^']*('\/>\s*(?:<backingStore\/>\s*)?<target dev='hdb')/,
    `$1${escapeXml(path)}$2`,
  );
}

/** The same domain with another serial socket: the destination reports on its own line. */
export function withSerialSocket(xml: string, path: string): string {
  return xml.replace(/(<serial type='unix'>\s*<source mode='connect' path=')[^']*(')/, `$1${escapeXml(path)}$2`);
}
