import { describe, expect, it } from 'vitest';
import { migrateChannels, migrationMode } from './monitor.ts';

describe("emulated QEMU monitor: cpr-transfer's arguments", () => {
  it("takes mode cpr-transfer from 10.0 on, as each version's QAPI schema does", () => {
    expect(migrationMode('10.0.0', 'cpr-transfer')).toBe('cpr-transfer');
    expect(migrationMode('9.2.0', 'normal')).toBe('normal');
    expect(() => migrationMode('9.2.0', 'cpr-transfer')).toThrow(
      "Parameter 'mode' does not accept value 'cpr-transfer'",
    );
    expect(() => migrationMode('7.2.0', 'normal')).toThrow("Parameter 'mode' is unexpected");
  });
  it("reads migrate's channels, which exclude its uri", () => {
    const main = { 'channel-type': 'main', addr: { transport: 'socket', type: 'unix', path: '/m.sock' } };
    const cpr = { 'channel-type': 'cpr', addr: { transport: 'socket', type: 'unix', path: '/c.sock' } };
    expect(migrateChannels({ channels: [main, cpr] })).toEqual([
      { type: 'main', uri: 'unix:/m.sock' },
      { type: 'cpr', uri: 'unix:/c.sock' },
    ]);
    expect(migrateChannels({ uri: 'unix:/m.sock' })).toBeUndefined();
    expect(() => migrateChannels({ uri: 'unix:/m.sock', channels: [main] })).toThrow(
      "need either 'uri' or 'channels' argument",
    );
  });
});
