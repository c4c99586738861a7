import type { MigrationInfo as QmpMigrationInfo } from '../../qmp/index.ts';
import type { MigrationJob, MigrationSettings } from '../types.ts';
import { cprChannels, unixChannel } from './cmdline.ts';
import { prepareMonitor, type QemuGuest } from './guest.ts';
import { DEFAULT_DOWNTIME_LIMIT_MS, DEFAULT_MAX_BANDWIDTH, toMigrationInfo } from './migration-info.ts';

export { CPR_TRANSFER_SINCE } from '../vocabulary.ts';

/**
 * cpr-transfer: the source hands its RAM over as file descriptors on the cpr channel, then
 * sends device state on the main one. The destination's monitor opens only after that.
 */
export async function migrateByCpr(
  source: QemuGuest,
  destination: QemuGuest,
  settings: MigrationSettings,
): Promise<MigrationJob> {
  await source.qmp.execute('migrate-set-parameters', {
    mode: 'cpr-transfer',
    'max-bandwidth': settings.maxBandwidth ?? DEFAULT_MAX_BANDWIDTH,
    'downtime-limit': settings.downtimeLimitMs ?? DEFAULT_DOWNTIME_LIMIT_MS,
  });
  const channels = cprChannels(destination.cprSocket ?? '');
  await source.qmp.execute('migrate', {
    channels: [unixChannel('main', channels.main), unixChannel('cpr', channels.cpr)],
  });
  await destination.attach();
  await prepareMonitor(destination);
  return {
    info: async () => toMigrationInfo(await source.qmp.execute<QmpMigrationInfo>('query-migrate')),
    cancel: async () => void (await source.qmp.execute('migrate_cancel')),
  };
}
