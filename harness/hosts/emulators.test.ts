import { describe, expect, test } from 'vitest';
import { chooseEmulator } from './emulators.ts';
import { compareVersions } from '../util/versions.ts';

const at = (version: string) => ({ version, command: `qemu-${version}`, prefixArgs: [], origin: 'test' });

describe('emulator choice', () => {
  test('versions compare by number, not by text', () => {
    expect(compareVersions('7.2.22', '10.0.13')).toBeLessThan(0);
    expect(compareVersions('10.0', '10.0.0')).toBe(0);
  });

  test('default is the first listed; oldest and newest by version', () => {
    const list = [at('10.0.13'), at('7.2.22'), at('8.2.1')];
    expect(chooseEmulator(list, 'default', 'a').version).toBe('10.0.13');
    expect(chooseEmulator(list, 'oldest', 'a').version).toBe('7.2.22');
    expect(chooseEmulator(list, 'newest', 'a').version).toBe('10.0.13');
  });

  test('a host without QEMU says how to get one', () => {
    expect(() => chooseEmulator([], 'newest', 'a')).toThrow(/no QEMU.*setup/s);
  });
});
