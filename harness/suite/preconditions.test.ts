import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capability } from '../drivers/vocabulary.ts';
import type { HostFeature } from '../hosts/types.ts';
import type { RunConfig } from './run-config.ts';
import { needs, needsHosts, needsSpiceClient } from './preconditions.ts';

const config = (capabilities: Capability[], hostFeatures: HostFeature[] = []): RunConfig => ({
  runDir: '/tmp',
  driver: './vendor.ts',
  driverName: 'vendor',
  hosts: 'process',
  image: 'bookworm',
  bugs: [],
  accel: 'auto',
  driverOptions: {},
  capabilities,
  hostFeatures,
});

let dir = '';
const originalPath = process.env.PATH;
afterEach(async () => {
  process.env.PATH = originalPath;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A PATH holding only the named commands. */
async function pathWith(...commands: string[]): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'preconditions-'));
  for (const name of commands) {
    await writeFile(join(dir, name), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, name), 0o755);
  }
  process.env.PATH = dir;
}

describe('preconditions: a requirement the run cannot exercise is skipped, with how to change that', () => {
  it("ask the driver's capabilities, naming what is missing and the driver", () => {
    expect(needs('registry')(config(['inventory']))).toMatch(
      /keeps a registry of guests and hosts .*\(registry\); the vendor driver declares no such capability/,
    );
    expect(needs('registry', 'inventory')(config(['registry', 'inventory']))).toBeUndefined();
  });

  it("ask the hosts' features", () => {
    expect(needsHosts('daemon-settings')(config([]))).toMatch(
      /configures each host's management daemon .*process hosts do not: run with --hosts container/,
    );
    expect(needsHosts('daemon-settings')(config([], ['daemon-settings']))).toBeUndefined();
  });

  it('SPICE needs a driver with SPICE and a display: Xvfb and remote-viewer', async () => {
    await pathWith();
    expect(needsSpiceClient(config(['spice']))).toMatch(
      /no display for a SPICE client .*Xvfb, remote-viewer missing.*cutover setup/,
    );
    expect(needsSpiceClient(config([]))).toMatch(/gives guests a SPICE display/);
    await pathWith('Xvfb', 'remote-viewer');
    expect(needsSpiceClient(config(['spice']))).toBeUndefined();
  });
});
