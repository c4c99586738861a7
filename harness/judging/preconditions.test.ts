import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfig } from '../runner/run-config.ts';
import { needsLibvirtHosts, needsManagementLayer, needsSpice } from './preconditions.ts';

const config = (driver: string, hosts: string): RunConfig => ({ runDir: '/tmp', driver, hosts, image: 'bookworm', accel: 'auto', driverOptions: {} });

let dir = '';
const originalPath = process.env.PATH;
afterEach(async () => {
  process.env.PATH = originalPath;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A PATH holding only the named commands, each a script printing `output`. */
async function pathWith(commands: Record<string, string>): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'preconditions-'));
  for (const [name, output] of Object.entries(commands)) {
    await writeFile(join(dir, name), `#!/bin/sh\necho '${output}'\nexit 1\n`);
    await chmod(join(dir, name), 0o755);
  }
  process.env.PATH = dir;
}

describe('preconditions: a requirement the run cannot exercise is skipped, with how to change that', () => {
  it('SPICE needs a display: Xvfb and remote-viewer', async () => {
    await pathWith({ 'qemu-system-x86_64': 'seamless-migration=on|off' });
    expect(await needsSpice(config('qemu', 'process'))).toMatch(/no display for a SPICE client .*Xvfb, remote-viewer missing.*cutover setup/);
  });

  it('SPICE needs a QEMU built with it, on process hosts', async () => {
    await pathWith({ Xvfb: '', 'remote-viewer': '', 'qemu-system-x86_64': 'qemu-system-x86_64: -spice help: There is no option group' });
    expect(await needsSpice(config('qemu', 'process'))).toBe('this QEMU has no SPICE support');
    await pathWith({ Xvfb: '', 'remote-viewer': '', 'qemu-system-x86_64': 'seamless-migration=on|off' });
    expect(await needsSpice(config('qemu', 'process'))).toBeUndefined();
  });

  it('registry checks need a management layer; worker pools need libvirt hosts', () => {
    expect(needsManagementLayer(config('qemu', 'process'))).toMatch(/--driver libvirt --hosts container/);
    expect(needsManagementLayer(config('libvirt', 'container'))).toBeUndefined();
    expect(needsLibvirtHosts(config('libvirt', 'process'))).toMatch(/--driver libvirt --hosts container/);
    expect(needsLibvirtHosts(config('libvirt', 'container'))).toBeUndefined();
  });
});
