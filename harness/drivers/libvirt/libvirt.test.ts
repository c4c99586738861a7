import { describe, expect, it } from 'vitest';
import { parseThreadPool } from './daemons.ts';
import { domainXml, withSerialSocket } from './domain-xml.ts';
import { parseMonitorEventLine } from './events.ts';
import { errorText, parseKeyValues } from './virsh.ts';

describe('libvirt output parsing', () => {
  it('reads virt-admin thread pool figures', () => {
    const pool = parseThreadPool(
      `minWorkers     : 1\nmaxWorkers     : 1\nnWorkers       : 1\nfreeWorkers    : 0\nprioWorkers    : 1\njobQueueDepth  : 2\n`,
    );
    expect(pool).toEqual({
      minWorkers: 1,
      maxWorkers: 1,
      nWorkers: 1,
      freeWorkers: 0,
      prioWorkers: 1,
      jobQueueDepth: 2,
    });
    expect(() => parseThreadPool('error: failed to connect')).toThrow(/minWorkers/);
  });

  it('reads QMP events passed on by virsh qemu-monitor-event', () => {
    expect(parseMonitorEventLine(`event MIGRATION at 1763786400.123456 for domain 'g1': {"status":"active"}`)).toEqual({
      event: 'MIGRATION',
      domain: 'g1',
      data: { status: 'active' },
    });
    expect(parseMonitorEventLine(`event STOP at 1763786400.5 for domain 'g1': <null>`)).toMatchObject({
      event: 'STOP',
      data: undefined,
    });
    expect(parseMonitorEventLine('garbage')).toBeUndefined();
  });

  it("keeps libvirt's reasons from virsh errors", () => {
    expect(errorText('error: operation failed\nerror: Attempt to migrate guest to the same host 00000000-0000\n')).toBe(
      'operation failed: Attempt to migrate guest to the same host 00000000-0000',
    );
    expect(parseKeyValues('Job type:         Unbounded\nData processed:   12.5 MiB\n')).toEqual({
      'Job type': 'Unbounded',
      'Data processed': '12.5 MiB',
    });
  });

  it('builds the guest domain and re-points its serial line', () => {
    const xml = domainXml({
      type: 'qemu',
      bootImage: '/r/boot.img',
      spec: {
        name: 'g<1>',
        uuid: '6a9c1f3e-0000-4000-8000-000000000001',
        bootImage: '/x',
        memoryMiB: 128,
        serialSocket: '/r/a/s.sock',
        accel: 'auto',
      },
    });
    expect(xml).toContain('<name>g&#60;1&#62;</name>');
    expect(xml).toContain("<source mode='connect' path='/r/a/s.sock'/>");
    expect(withSerialSocket(xml, '/r/b/s.sock')).toContain("<source mode='connect' path='/r/b/s.sock'/>");
  });
});
