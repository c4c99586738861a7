// The init script, run for real with --render-only against a temporary root: it writes the
// configuration and exits without starting a daemon.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INIT_SCRIPT_FILE } from './build.ts';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function render(env: Record<string, string> = {}) {
  root = mkdtempSync(join(tmpdir(), 'cutover-init-'));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CUTOVER_'))) as Record<
    string,
    string
  >;
  const res = spawnSync('sh', [INIT_SCRIPT_FILE, '--render-only'], {
    env: { ...base, ...env, CUTOVER_ROOT: root },
    encoding: 'utf8',
    timeout: 10_000,
  });
  const read = (p: string): string =>
    existsSync(join(root as string, p)) ? readFileSync(join(root as string, p), 'utf8') : '';
  return {
    code: res.status,
    stderr: res.stderr,
    libvirtd: read('etc/libvirt/libvirtd.conf'),
    qemu: read('etc/libvirt/qemu.conf'),
    failed: read('run/cutover-failed'),
    log: read('var/log/cutover-init.log'),
    ready: existsSync(join(root, 'run/cutover-ready')),
  };
}

function settings(conf: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of conf.split('\n')) {
    const m = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

describe('cutover-host-init --render-only', () => {
  it('writes the defaults: TCP without auth, a random host UUID, libvirt-default pools and keepalive', () => {
    const r = render({ CUTOVER_MIGRATION_ADDRESS: '10.0.0.7' });
    expect(r.code).toBe(0);
    const d = settings(r.libvirtd);
    expect(d).toMatchObject({
      listen_tls: '0',
      listen_tcp: '1',
      auth_tcp: '"none"',
      min_workers: '5',
      max_workers: '20',
      prio_workers: '5',
      keepalive_interval: '5',
      keepalive_count: '5',
    });
    expect(d.host_uuid).toMatch(/^"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"$/);
    expect(d.log_filters).toBeUndefined();
    const q = settings(r.qemu);
    expect(q).toMatchObject({
      user: '"root"',
      group: '"root"',
      cgroup_controllers: '[ ]',
      migration_address: '"10.0.0.7"',
      keepalive_interval: '5',
      keepalive_count: '5',
    });
    expect(r.ready).toBe(false); // nothing was started
    expect(r.log).toMatch(/config: host_uuid=/);
  });

  it('two starts without CUTOVER_HOST_UUID get two UUIDs', () => {
    const a = settings(render().libvirtd).host_uuid;
    const b = settings(render().libvirtd).host_uuid;
    expect(a).not.toBe(b);
  });

  it('takes every value from the environment', () => {
    const r = render({
      CUTOVER_HOST_UUID: '5F1C0B2E-0A4D-4C39-9E6B-3A5D2B8F7C10',
      CUTOVER_MIN_WORKERS: '1',
      CUTOVER_MAX_WORKERS: '1',
      CUTOVER_PRIO_WORKERS: '1',
      CUTOVER_KEEPALIVE_INTERVAL: '-1',
      CUTOVER_KEEPALIVE_COUNT: '0',
      CUTOVER_MIGRATION_ADDRESS: '0.0.0.0',
      CUTOVER_MIGRATION_HOST: 'h2',
      CUTOVER_LOG_FILTERS: '1:qemu 1:rpc',
    });
    expect(r.code).toBe(0);
    expect(settings(r.libvirtd)).toMatchObject({
      host_uuid: '"5f1c0b2e-0a4d-4c39-9e6b-3a5d2b8f7c10"',
      min_workers: '1',
      max_workers: '1',
      prio_workers: '1',
      keepalive_interval: '-1',
      keepalive_count: '0',
      log_filters: '"1:qemu 1:rpc"',
    });
    expect(settings(r.qemu)).toMatchObject({
      migration_address: '"0.0.0.0"',
      migration_host: '"h2"',
      keepalive_interval: '-1',
      keepalive_count: '0',
    });
  });

  it("defaults the migration address to this machine's IPv4 address (or 0.0.0.0 without one)", () => {
    const q = settings(render().qemu);
    expect(q.migration_address).toMatch(/^"\d+\.\d+\.\d+\.\d+"$/);
    if (q.migration_address !== '"0.0.0.0"') expect(q.migration_host).toBe(q.migration_address);
  });

  it.each([
    [{ CUTOVER_MAX_WORKERS: 'many' }, /CUTOVER_MAX_WORKERS=many is not an integer/],
    [{ CUTOVER_MAX_WORKERS: '0' }, /CUTOVER_MAX_WORKERS=0 is below 1/],
    [{ CUTOVER_MIN_WORKERS: '9', CUTOVER_MAX_WORKERS: '3' }, /CUTOVER_MIN_WORKERS=9 is above CUTOVER_MAX_WORKERS=3/],
    [{ CUTOVER_KEEPALIVE_COUNT: '-2' }, /CUTOVER_KEEPALIVE_COUNT=-2 is below 0/],
    [{ CUTOVER_HOST_UUID: 'not-a-uuid' }, /CUTOVER_HOST_UUID=not-a-uuid is not a UUID/],
    [{ CUTOVER_HOST_UUID: '00000000-0000-0000-0000-000000000000' }, /one repeated digit/],
    [{ CUTOVER_MIGRATION_ADDRESS: '1.2.3.4"; x' }, /CUTOVER_MIGRATION_ADDRESS=.* is not an address/],
    [{ CUTOVER_LOG_FILTERS: '1:"qemu' }, /must not contain quotes/],
  ])('refuses %j: exits 1 and writes /run/cutover-failed', (env, message) => {
    const r = render(env);
    expect(r.code).toBe(1);
    expect(r.failed).toMatch(message);
    expect(r.log).toMatch(/FAILED/);
    expect(r.stderr).toMatch(message);
  });

  it('equal UUIDs for two hosts are allowed when a test asks for them', () => {
    const uuid = '3b241101-e2bb-4255-8caf-4136c566a962';
    expect(settings(render({ CUTOVER_HOST_UUID: uuid }).libvirtd).host_uuid).toBe(`"${uuid}"`);
    expect(settings(render({ CUTOVER_HOST_UUID: uuid }).libvirtd).host_uuid).toBe(`"${uuid}"`);
  });
});
