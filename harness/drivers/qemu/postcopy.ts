import { join } from 'node:path';
import { QmpCommandError } from '../../qmp/index.ts';
import { Refused, type MigrationSettings, type RecoverOptions } from '../types.ts';
import type { QemuGuest } from './guest.ts';
import { freeLoopbackPort } from './ports.ts';

// Post-copy's two driver-side pieces: the harness's relay in the migration link (so a link
// fault can cut it), and recovery of a paused post-copy migration.

/** The URI the source connects to: the destination's, or the harness's relay in front of it. */
export async function relayed(uri: string, settings: MigrationSettings): Promise<string> {
  const tcp = /^tcp:([^:]+):(\d+)$/.exec(uri);
  if (!settings.relay || !tcp) return uri;
  const via = await settings.relay({ host: tcp[1] ?? '127.0.0.1', port: Number(tcp[2]) });
  return `tcp:${via.host}:${via.port}`;
}

/**
 * Post-copy recovery: the destination listens anew (migrate-recover) before the source
 * resumes to it. Never the other way round: a source that resumes to a peer that accepts and
 * stays silent sits in postcopy-recover for good (QEMU 7.2).
 */
export async function recoverPostcopy(
  source: QemuGuest,
  destination: QemuGuest,
  settings: MigrationSettings,
  options: RecoverOptions,
): Promise<void> {
  const uri =
    settings.transport === 'tcp'
      ? `tcp:${destination.host.address}:${await freeLoopbackPort()}`
      : `unix:${join(destination.host.workDir, `recover-${destination.tag}-${Date.now().toString(36)}.sock`)}`;
  await destination.qmp.execute('migrate-recover', { uri }).catch((err: unknown) => {
    throw err instanceof QmpCommandError ? new Refused(`migrate-recover: ${err.desc}`) : err;
  });
  if (options.postcopyBandwidth !== undefined)
    await source.qmp.execute('migrate-set-parameters', { 'max-postcopy-bandwidth': options.postcopyBandwidth });
  await source.qmp.execute('migrate', { uri: await relayed(uri, settings), resume: true });
}
