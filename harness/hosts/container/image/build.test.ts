import { describe, expect, it } from 'vitest';
import {
  CONFIGURE_SCRIPT,
  currentHostImageTag,
  hostContainerFlags,
  hostImageInputs,
  IMAGE_CHANGES,
  INIT_SCRIPT_IN_IMAGE,
  labelsFor,
  mountsUnder,
  parseLibvirtVersion,
  parseQemuVersion,
  versionsFromLabels,
} from './build.ts';
import { HOST_RECIPES, hostImageHash } from './recipe.ts';

describe('host image inputs', () => {
  it('cover the recipe row, the init script file and the build code', async () => {
    const inputs = await hostImageInputs('bookworm');
    expect(inputs.recipe).toBe(HOST_RECIPES.bookworm);
    expect(inputs.initScript).toMatch(/^#!\/bin\/sh\n/);
    expect(inputs.initScript).toContain('libvirtd -d --listen');
    expect(inputs.configureScript).toBe(CONFIGURE_SCRIPT);
    expect(inputs.imageChanges).toBe(IMAGE_CHANGES);
  });

  it('give each release its own tag, stable between calls', async () => {
    const [b, t, b2] = await Promise.all([
      currentHostImageTag('bookworm'),
      currentHostImageTag('trixie'),
      currentHostImageTag('bookworm'),
    ]);
    expect(b).toMatch(/^cutover-host:bookworm-[0-9a-f]{12}$/);
    expect(t).toMatch(/^cutover-host:trixie-[0-9a-f]{12}$/);
    expect(b2).toBe(b);
    const inputs = await hostImageInputs('bookworm');
    expect(b).toBe(`cutover-host:bookworm-${hostImageHash(inputs)}`);
    expect(hostImageHash({ ...inputs, initScript: `${inputs.initScript}\n` })).not.toBe(hostImageHash(inputs));
  });

  it("run the init script under tini, which reaps QEMU's orphans", () => {
    expect(IMAGE_CHANGES).toContain(`ENTRYPOINT ["/usr/bin/tini", "--", "${INIT_SCRIPT_IN_IMAGE}"]`);
  });
});

describe('container flags', () => {
  it('all capabilities but SYS_RESOURCE, no seccomp, and the devices that exist', () => {
    expect(hostContainerFlags((p) => p === '/dev/kvm')).toEqual([
      '--cap-add',
      'ALL',
      '--cap-drop',
      'SYS_RESOURCE',
      '--security-opt',
      'seccomp=unconfined',
      '--device',
      '/dev/kvm',
    ]);
    expect(hostContainerFlags(() => false)).not.toContain('--privileged');
  });
});

describe('versions', () => {
  it('reads them from the banners', () => {
    expect(
      parseQemuVersion('QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)\nCopyright (c) 2003-2025'),
    ).toBe('10.0.13');
    expect(parseLibvirtVersion('libvirtd (libvirt) 11.3.0\n')).toBe('11.3.0');
    expect(parseQemuVersion('qemu-img version 7.2.22')).toBeUndefined();
  });

  it('travel as image labels, so a cached image reports them without starting a container', () => {
    const labels = labelsFor('trixie', 'abcdef012345', { qemu: '10.0.13', libvirt: '11.3.0' });
    expect(labels).toMatchObject({ 'cutover.release': 'trixie', 'cutover.hash': 'abcdef012345' });
    expect(versionsFromLabels(labels)).toEqual({ qemu: '10.0.13', libvirt: '11.3.0' });
    expect(versionsFromLabels({ 'cutover.qemu': '7.2.22' })).toBeUndefined();
    expect(versionsFromLabels(null)).toBeUndefined();
  });
});

describe('mountsUnder', () => {
  const mountinfo = [
    '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '90 22 0:5 / /var/cache/cutover/host-x/rootfs/proc rw - proc proc rw',
    '91 22 0:6 / /var/cache/cutover/host-x/rootfs/dev rw - devtmpfs udev rw',
    '92 91 0:7 / /var/cache/cutover/host-x/rootfs/dev/pts rw - devpts devpts rw',
    '93 22 0:8 / /var/cache/cutover/host-x/rootfs2/proc rw - proc proc rw',
  ].join('\n');

  it('lists the mounts inside a folder, deepest first, and nothing beside it', () => {
    expect(mountsUnder('/var/cache/cutover/host-x/rootfs/', mountinfo)).toEqual([
      '/var/cache/cutover/host-x/rootfs/dev/pts',
      '/var/cache/cutover/host-x/rootfs/proc',
      '/var/cache/cutover/host-x/rootfs/dev',
    ]);
    expect(mountsUnder('/srv', mountinfo)).toEqual([]);
  });
});
