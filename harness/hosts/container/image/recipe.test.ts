import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  HOST_RECIPES,
  HOST_RELEASES,
  hostImageHash,
  hostImageTag,
  hostRecipe,
  isHostRelease,
  type HostImageInputs,
} from './recipe.ts';

const base: HostImageInputs = {
  buildVersion: 1,
  recipe: HOST_RECIPES.bookworm,
  initScript: '#!/bin/sh\necho hi\n',
  configureScript: 'set -e\n',
  imageChanges: ['ENTRYPOINT ["/usr/bin/tini"]'],
};

describe('recipe rows', () => {
  it('has a row per release, keyed by its own name', () => {
    expect(Object.keys(HOST_RECIPES).sort()).toEqual([...HOST_RELEASES].sort());
    for (const release of HOST_RELEASES) expect(HOST_RECIPES[release].release).toBe(release);
    expect(HOST_RECIPES.bookworm.suite).toBe('bookworm');
    expect(HOST_RECIPES.trixie.suite).toBe('trixie');
  });

  it.each(HOST_RELEASES)(
    '%s installs QEMU, libvirt with its QEMU driver and clients, tini and the tools',
    (release) => {
      const { packages, secondStep } = HOST_RECIPES[release];
      const all = [...packages, ...secondStep];
      for (const pkg of [
        'qemu-system-x86',
        'qemu-utils',
        'libvirt-daemon',
        'libvirt-daemon-driver-qemu',
        'libvirt-clients',
        'tini',
        'iproute2',
        'procps',
        'iptables',
        'socat',
      ]) {
        expect(all, pkg).toContain(pkg);
      }
      expect(new Set(all).size).toBe(all.length);
    },
  );

  it('bookworm installs everything with debootstrap; trixie installs libvirt in a second step', () => {
    expect(HOST_RECIPES.bookworm.secondStep).toEqual([]);
    expect(HOST_RECIPES.bookworm.packages).toContain('libvirt-daemon');
    expect(HOST_RECIPES.trixie.packages.some((p) => p.startsWith('libvirt'))).toBe(false);
    expect(HOST_RECIPES.trixie.secondStep).toEqual(
      expect.arrayContaining(['libvirt-daemon', 'libvirt-daemon-log', 'libvirt-daemon-common']),
    );
  });

  it('names the versions each release ships', () => {
    expect(HOST_RECIPES.bookworm.expect).toEqual({ qemu: '7.2', libvirt: '9.0' });
    expect(HOST_RECIPES.trixie.expect).toEqual({ qemu: '10.0', libvirt: '11.3' });
  });

  it('rejects an unknown release', () => {
    expect(isHostRelease('trixie')).toBe(true);
    expect(isHostRelease('sid')).toBe(false);
    expect(() => hostRecipe('sid')).toThrow(/unknown host release: sid \(known: bookworm, trixie\)/);
  });
});

describe('hostImageHash', () => {
  const hash = hostImageHash(base);

  it('is 12 hex digits and stable for equal inputs, whatever the key order', () => {
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(hostImageHash({ ...base, recipe: { ...base.recipe } })).toBe(hash);
    const reordered = JSON.parse(
      JSON.stringify({
        imageChanges: base.imageChanges,
        initScript: base.initScript,
        configureScript: base.configureScript,
        recipe: base.recipe,
        buildVersion: 1,
      }),
    ) as HostImageInputs;
    expect(hostImageHash(reordered)).toBe(hash);
  });

  it.each<[string, Partial<HostImageInputs>]>([
    ['the build version', { buildVersion: 2 }],
    ['the recipe row', { recipe: HOST_RECIPES.trixie }],
    ['a package', { recipe: { ...base.recipe, packages: [...base.recipe.packages, 'gdb'] } }],
    ['a second-step package', { recipe: { ...base.recipe, secondStep: ['libvirt-daemon-log'] } }],
    ['the suite', { recipe: { ...base.recipe, suite: 'stable' } }],
    ['the init script', { initScript: '#!/bin/sh\necho hi!\n' }],
    ['the configure script', { configureScript: 'set -eu\n' }],
    ['the image changes', { imageChanges: ['ENTRYPOINT ["/sbin/tini"]'] }],
  ])('changes with %s', (_, change) => {
    expect(hostImageHash({ ...base, ...change })).not.toBe(hash);
  });

  it('package order matters (it is the order apt is given)', () => {
    const reversed = { ...base.recipe, packages: [...base.recipe.packages].reverse() };
    expect(hostImageHash({ ...base, recipe: reversed })).not.toBe(hash);
  });
});

describe('canonicalJson and tags', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });
  it('tags name the release and the hash', () => {
    expect(hostImageTag('trixie', 'abcdef012345')).toBe('cutover-host:trixie-abcdef012345');
  });
});
