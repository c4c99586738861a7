import type { Host } from '../../hosts/types.ts';
import type { DriverEvent, MigrationInfo, MigrationJob, ProtocolPhases, Side } from '../types.ts';
import type { QemuGuest } from './guest.ts';

// cutover's qemu driver plays libvirt's five steps itself and says so, as phase events with
// libvirt's names: begin3 (capabilities and parameters), prepare (the destination listens),
// perform3 (migrate, until QEMU ends it: perform3_done when it completed), confirm3 (the
// migration completed) or confirm3_cancelled (it did not: the source keeps the guest).
// There is no Finish of its own: QEMU resumes an incoming guest by itself as the transfer completes.

export const QEMU_DRIVER_PHASES: ProtocolPhases = {
  source: ['begin3', 'perform3', 'perform3_done', 'confirm3', 'confirm3_cancelled'],
  destination: ['prepare'],
  absent: {
    finish3:
      'QEMU resumes an incoming guest by itself as the transfer completes (no -S): the qemu driver has no Finish step before which a fault could strike',
  },
};

/** The event a phase is reported by. */
export const PHASE_EVENT = 'CUTOVER_PHASE';

export function phaseAnnouncer(emit: (event: DriverEvent) => void, clock: () => number) {
  return (
    guest: QemuGuest | { readonly name: string; readonly host: Host },
    side: Side,
    phase: string,
    data?: unknown,
  ): void => {
    emit({
      t: clock(),
      side,
      guest: guest.name,
      host: guest.host.name,
      name: PHASE_EVENT,
      phase,
      ...(data !== undefined && { data }),
    });
  };
}

/** After perform3: perform3_done and confirm3 once QEMU completed, confirm3_cancelled once it did not. */
export async function reportEnd(
  source: QemuGuest,
  since: number,
  announce: ReturnType<typeof phaseAnnouncer>,
): Promise<void> {
  const end = await source.migrationEnded(since);
  if (end === undefined) return;
  if (end === 'completed') announce(source, 'source', 'perform3_done');
  announce(source, 'source', end === 'completed' ? 'confirm3' : 'confirm3_cancelled', { status: end });
}

/** Hosts whose Prepare is refused, with the reason: the refuse-prepare fault's gate. */
export class RefusedHosts {
  private readonly reasons = new Map<Host, string>();
  refuse(host: Host, reason: string): void {
    this.reasons.set(host, reason);
  }
  reasonFor(host: Host): string | undefined {
    return this.reasons.get(host);
  }
}

/** The job of a migration that failed before it started (Prepare refused, the destination gone): failed, with the reason. */
export function failedJob(errorDesc: string): MigrationJob {
  const info: MigrationInfo = { status: 'failed', errorDesc, jobRunning: false };
  return { info: async () => info, cancel: async () => undefined };
}
