import { describe, expect, it } from 'vitest';
import { formatEmulators } from './emulators-report.ts';

const qemu = (version: string, origin: string) => ({ version, origin, command: 'qemu', prefixArgs: [] });

describe('doctor on same-host upgrades', () => {
  it('lists the QEMUs side by side', () => {
    expect(formatEmulators([qemu('7.2.22', 'the machine'), qemu('10.0.13', '/var/cache/cutover/x/rootfs')])).toBe(
      'QEMUs for same-host upgrades: 7.2.22 (the machine), 10.0.13 (/var/cache/cutover/x/rootfs)',
    );
  });
  it('says how to get a second one', () => {
    expect(formatEmulators([qemu('7.2.22', 'the machine')])).toMatch(
      /SHU-02 needs a second, newer one: run `npx cutover setup`/,
    );
  });
});
