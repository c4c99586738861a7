import type { MigrationInfo as QmpMigrationInfo } from '../../qmp/index.ts';
import type { MigrationInfo, MigrationStatus } from '../types.ts';

/** High enough that a local link, not QEMU's default throttle (128 MiB/s), is the limit. */
export const DEFAULT_MAX_BANDWIDTH = 8 * 1024 ** 3;
export { QEMU_DOWNTIME_LIMIT_MS as DEFAULT_DOWNTIME_LIMIT_MS } from '../vocabulary.ts';

/** query-migrate, in the driver interface's words. */
export function toMigrationInfo(info: QmpMigrationInfo): MigrationInfo {
  return {
    status: (info.status ?? 'none') as MigrationStatus,
    ...(info['error-desc'] !== undefined && { errorDesc: info['error-desc'] }),
    ...(info['total-time'] !== undefined && { totalTimeMs: info['total-time'] }),
    ...(info.downtime !== undefined && { downtimeMs: info.downtime }),
    ...(info['setup-time'] !== undefined && { setupTimeMs: info['setup-time'] }),
    ...(info.ram?.transferred !== undefined && { transferredBytes: info.ram.transferred }),
    ...(info.ram?.total !== undefined && { ramTotalBytes: info.ram.total }),
  };
}
