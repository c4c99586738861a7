import { describe, expect, it } from 'vitest';
import type { Host } from '../../hosts/types.ts';
import type { QemuGuest } from '../qemu/guest.ts';
import { EmulatedDaemon, type Domain } from './daemon.ts';
import type { DomainGuest } from './guest.ts';
import { runMigration, type MigrationParties } from './migration.ts';
import { afterNewQemuEnded, isLiveUpgrade, recoverUpgrade } from './upgrade.ts';

// The emulated daemon's live upgrade: what asks for one, and what it does when the new QEMU
// ends. The whole upgrade against the emulated QEMU is played end to end (SHU-03, SHU-05).

const daemon = (bugs: string[] = []): EmulatedDaemon => new EmulatedDaemon({ name: 'host' } as Host, { bugs });

/** A QEMU as far as the daemon looks at it: alive or not, whether it ran the guest, what it was told. */
function fakeQemu(alive: boolean, ran: boolean) {
  const told: string[] = [];
  const qemu = {
    process: { alive },
    attached: true,
    ending: false,
    qmp: { events: ran ? [{ event: 'RESUME' }] : [], execute: async (command: string) => void told.push(command) },
    runState: async () => (alive ? 'running' : 'gone'),
    resume: async () => void told.push('cont'),
    destroy: async () => void told.push('destroy'),
  };
  return { qemu: qemu as unknown as QemuGuest, told };
}

describe('emulated daemon: same-host live upgrade', () => {
  it('is asked for with shared memory, x-ignore-shared and a UNIX socket together; anything less is a plain migration (refused within one host)', () => {
    const settings = { transport: 'unix', ignoreShared: true } as const;
    expect(isLiveUpgrade(settings, { sharedMemory: true })).toBe(true);
    expect(isLiveUpgrade(settings, { sharedMemory: false })).toBe(false);
    expect(isLiveUpgrade({ transport: 'unix' }, { sharedMemory: true })).toBe(false);
    expect(isLiveUpgrade({ ...settings, transport: 'tcp' }, { sharedMemory: true })).toBe(false);
  });

  it('resumes the old QEMU only when the new one never ran the guest; the bug variant resumes it anyway', () => {
    expect(afterNewQemuEnded(false, new Set())).toBe('resume-old');
    expect(afterNewQemuEnded(true, new Set())).toBe('lost');
    expect(afterNewQemuEnded(true, new Set(['resumes-old-qemu-after-upgrade']))).toBe('resume-old');
  });

  it('still refuses at once a plain migration to its own host, and x-ignore-shared to another host', async () => {
    const migrate = (src: EmulatedDaemon, dst: EmulatedDaemon, settings: MigrationParties['settings']) => {
      const old = fakeQemu(true, false);
      src.domains.set('g', { name: 'g', uuid: 'u', guest: old.qemu });
      const guest = { name: 'g', qemu: old.qemu, request: { spec: { sharedMemory: true } } } as unknown as DomainGuest;
      const parties = {
        source: { daemon: src, guest },
        destination: { daemon: dst, guest },
        settings,
        announce: () => undefined,
        tell: () => undefined,
        prepareRefusal: () => undefined,
        progress: { postcopy: false, cancelled: false },
        startQemu: () => Promise.reject(new Error('no QEMU is started for a refused migration')),
      } satisfies MigrationParties;
      return runMigration(parties, src.generation, () => undefined);
    };
    const host = daemon();
    await expect(migrate(host, host, { transport: 'unix' })).rejects.toThrow(
      /Attempt to migrate guest to the same host/,
    );
    await expect(migrate(host, daemon(), { transport: 'unix', ignoreShared: true })).rejects.toThrow(
      /only for a live upgrade within one host/,
    );
  });

  /** A domain in an upgrade when its daemon died, recovered by the restarted daemon. */
  async function recovered(old: QemuGuest, incoming: QemuGuest): Promise<Domain> {
    const host = daemon();
    const domain: Domain = {
      name: 'g',
      uuid: 'u',
      guest: old,
      job: { kind: 'upgrade', phase: 'perform3_done', peer: host, incoming },
    };
    await recoverUpgrade(host, domain);
    return domain;
  }

  it('recovers an upgrade whose new QEMU ran the guest and died as lost: the old QEMU quits, never resumed', async () => {
    const old = fakeQemu(true, true);
    const domain = await recovered(old.qemu, fakeQemu(false, true).qemu);
    expect(domain.lost).toMatch(/no longer matches the old QEMU's CPU state/);
    expect(old.told).toEqual(['quit']);
    expect(domain.job).toBeUndefined();
  });

  it('recovers an upgrade whose new QEMU never ran the guest by resuming the old one, and one whose new QEMU runs by keeping it', async () => {
    const old = fakeQemu(true, true);
    const rolledBack = await recovered(old.qemu, fakeQemu(false, false).qemu);
    expect(old.told).toEqual(['migrate_cancel', 'cont']);
    expect(rolledBack.lost).toBeUndefined();
    const runs = fakeQemu(true, true).qemu;
    expect((await recovered(old.qemu, runs)).guest).toBe(runs);
  });
});
