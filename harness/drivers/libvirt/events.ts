import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock } from '../../util/clock.ts';

/** A QMP event of some domain, as libvirt passes it on. */
export interface DomainQmpEvent {
  readonly t: number;
  readonly domain: string;
  readonly event: string;
  readonly data: unknown;
}

const LINE = /event (\S+) at (\d+)\.(\d+) for domain '([^']+)': (.*)$/;

export function parseMonitorEventLine(line: string): Omit<DomainQmpEvent, 't'> | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  let data: unknown;
  try {
    data = m[5] && m[5] !== '<null>' ? JSON.parse(m[5]) : undefined;
  } catch {
    data = m[5];
  }
  return { event: m[1] ?? '', domain: m[4] ?? '', data };
}

/**
 * Streams the QMP events of every domain of one daemon (`virsh qemu-monitor-event --loop`),
 * so MIGRATION statuses are observed as QEMU emits them, under libvirt.
 */
export function watchDomainEvents(
  uri: string,
  clock: Clock,
  onEvent: (e: DomainQmpEvent) => void,
): { stop(): void; process: ChildProcess } {
  const child = spawn('virsh', ['-q', '-c', uri, 'qemu-monitor-event', '--loop'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const t = clock();
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const parsed = parseMonitorEventLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if (parsed) onEvent({ ...parsed, t });
    }
  });
  return { process: child, stop: () => void child.kill('SIGKILL') };
}
